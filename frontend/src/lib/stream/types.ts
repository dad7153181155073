/** Where the API lives and the token that opens it. */
export interface Credentials {
  /** Origin of the Holdfast server, e.g. `http://127.0.0.1:43123` (no trailing slash needed). */
  baseUrl: string;
  token: string;
}

/**
 * Supplies credentials before every connection attempt. `fresh` is set once
 * after a 401, asking the resolver to fetch new ones instead of a cached pair
 * (the desktop backend may have restarted on another port with another token).
 */
export type Resolver = (opts?: { fresh?: boolean }) => Promise<Credentials>;

/** The one connection status the UI shows. */
export type StreamStatus =
  | { state: 'connecting'; attempt: number }
  | { state: 'live'; connectionId: string }
  | { state: 'reconnecting'; attempt: number; delayMs: number; retryAt: number; reason: string }
  | { state: 'offline'; attempt: number; delayMs: number; retryAt: number; reason: string }
  | { state: 'failed'; code: string; reason: string }
  | { state: 'closed' };

export type StreamState = StreamStatus['state'];

/** One event as the client hands it to listeners. */
export interface StreamEvent<T = unknown> {
  /** SSE event name (`hello`, `message.delta`, …) or a local one (`status`, `wake`). */
  type: string;
  /** `epoch:seq` for logged events; null for heartbeats and local events. */
  id: string | null;
  data: T;
}

export type StreamListener<T = unknown> = (event: StreamEvent<T>) => void;
