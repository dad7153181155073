/** Where the API lives and the token that opens it. */
export interface Credentials {
  /** Origin of the Holdfast server, e.g. `http://127.0.0.1:43123` (no trailing slash needed). */
  baseUrl: string;
  token: string;
  /**
   * The backend runs on this machine (the desktop binding says so). When
   * absent, a loopback host in `baseUrl` means the same. A local backend is
   * retried at a short constant interval instead of an exponential backoff.
   */
  local?: boolean;
}

/**
 * Supplies credentials before every connection attempt. `fresh` is set once
 * after a 401, asking the resolver to fetch new ones instead of a cached pair
 * (the desktop backend may have restarted on another port with another token).
 */
export type Resolver = (opts?: { fresh?: boolean }) => Promise<Credentials>;

/** When the next attempt is and why the last one failed. */
export interface RetryInfo {
  /** Attempts since the stream was last live. */
  attempt: number;
  delayMs: number;
  /** Wall-clock time (ms) of the next attempt. */
  retryAt: number;
  /** Why the last attempt failed, in the words of the error. */
  reason: string;
  /** Wall-clock time (ms) the backend stopped answering. */
  since: number;
}

/**
 * The one connection status the UI shows. `failed` has two kinds: with
 * `retryAt` the backend has been unreachable past the threshold (code
 * `unreachable`) or the desktop backend is down (code `backend_down`) and
 * the client keeps trying in the background at a slower pace; without it,
 * a rejection retrying cannot fix (a 4xx) and nothing more is tried until
 * Reconnect.
 */
export type StreamStatus =
  | { state: 'connecting'; attempt: number }
  | { state: 'live'; connectionId: string }
  | ({ state: 'reconnecting' } & RetryInfo)
  | ({ state: 'offline' } & RetryInfo)
  | ({ state: 'failed'; code: string; reason: string } & Partial<RetryInfo>)
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
