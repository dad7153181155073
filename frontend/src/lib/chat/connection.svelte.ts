import type { Api } from '../api';
import type { StorageData } from '../protocol';
import { attempt, type ReportError } from '../errors';
import type { StreamClient } from '../stream/client';
import type { StreamStatus } from '../stream/types';

export interface ConnectionOptions {
  client: Pick<StreamClient, 'addEventListener' | 'connectionId' | 'reconnect'>;
  api: Pick<Api, 'pauseStream' | 'resumeStream'>;
  onStatus?: (status: StreamStatus) => void;
  onError?: ReportError;
}

/** Whether the server can write its database: `ok`, or why not. */
export type StorageState = StorageData['state'];

/**
 * The event stream as the UI shows it: its status, whether live events
 * are paused (held back on the server while generation and logging go on),
 * and whether the server can write its database (the `storage` event).
 */
export class Connection {
  #status = $state.raw<StreamStatus>({ state: 'connecting', attempt: 0 });
  #paused = $state(false);
  #storage = $state<StorageState>('ok');
  readonly #opts: ConnectionOptions;

  constructor(opts: ConnectionOptions) {
    this.#opts = opts;
    opts.client.addEventListener<StreamStatus>('status', (ev) => {
      this.#status = ev.data;
      opts.onStatus?.(ev.data);
    });
    opts.client.addEventListener('hello', () => {
      // A connection that starts during a fault gets `storage` right after
      // hello; no event means the database can be written.
      this.#storage = 'ok';
      // Pausing belongs to one connection; a new one must be paused again.
      const conn = opts.client.connectionId;
      if (this.#paused && conn) void opts.api.pauseStream(conn).catch(() => {});
    });
    opts.client.addEventListener<StorageData>('storage', (ev) => {
      const state = ev.data?.state;
      this.#storage = state === 'busy' || state === 'full' ? state : 'ok';
    });
  }

  /**
   * Whether the server can write its database. While it cannot, answers
   * wait (the server holds their text until it can save it) and the UI
   * says why.
   */
  get storage(): StorageState {
    return this.#storage;
  }

  get status(): StreamStatus {
    return this.#status;
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
