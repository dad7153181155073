import type { Api } from '../api';
import { attempt, type ReportError } from '../errors';
import type { StreamClient } from '../stream/client';
import type { StreamStatus } from '../stream/types';

export interface ConnectionOptions {
  client: Pick<StreamClient, 'addEventListener' | 'connectionId' | 'reconnect'>;
  api: Pick<Api, 'pauseStream' | 'resumeStream'>;
  onStatus?: (status: StreamStatus) => void;
  onError?: ReportError;
}

/**
 * The event stream as the UI shows it: its status, and whether live events
 * are paused (held back on the server while generation and logging go on).
 */
export class Connection {
  #status = $state.raw<StreamStatus>({ state: 'connecting', attempt: 0 });
  #paused = $state(false);
  /** Failed since it was last live (a Reconnect click's attempt keeps the banner up). */
  #down = $state(false);
  readonly #opts: ConnectionOptions;

  constructor(opts: ConnectionOptions) {
    this.#opts = opts;
    opts.client.addEventListener<StreamStatus>('status', (ev) => {
      this.#status = ev.data;
      if (ev.data.state === 'failed') this.#down = true;
      else if (ev.data.state === 'live' || ev.data.state === 'closed') this.#down = false;
      opts.onStatus?.(ev.data);
    });
    opts.client.addEventListener('hello', () => {
      // Pausing belongs to one connection; a new one must be paused again.
      const conn = opts.client.connectionId;
      if (this.#paused && conn) void opts.api.pauseStream(conn).catch(() => {});
    });
  }

  get status(): StreamStatus {
    return this.#status;
  }

  /**
   * The backend is down in a way worth more than the pill: failed (past the
   * unreachable threshold, stopped, or refused), and not live again since.
   */
  get down(): boolean {
    return this.#down;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Holds live events back on the server; generation and logging go on. */
  async pause(): Promise<void> {
    const conn = this.#opts.client.connectionId;
    this.#paused = true;
    if (conn) await attempt(this.#opts.onError, 'pause', () => this.#opts.api.pauseStream(conn));
  }

  /** Flushes what the server held back, in order. */
  async resume(): Promise<void> {
    const conn = this.#opts.client.connectionId;
    this.#paused = false;
    if (conn) await attempt(this.#opts.onError, 'pause', () => this.#opts.api.resumeStream(conn));
  }

  /** Drops the backoff and connects now. */
  reconnect(): void {
    this.#opts.client.reconnect();
  }
}
