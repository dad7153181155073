/** A message the user sent that the server has not confirmed yet. */
export interface OutboxItem {
  /** Idempotency key: every resend carries the same one, so the server stores it once. */
  clientId: string;
  sessionId: string;
  content: string;
  model?: string;
  /** Uploaded files the message names (stored on the server before the item is queued). */
  attachments?: { id: string; name: string }[];
  createdAt: number;
  /** Last failure, shown next to the "pending" mark. */
  lastError?: string;
}

/** The subset of Storage the outbox needs (localStorage in the app). */
export interface OutboxStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * Thrown by `send` for a rejection retrying cannot fix (4xx): the item is
 * dropped and reported instead of being retried forever.
 */
export class PermanentSendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentSendError';
  }
}

export interface OutboxOptions<R> {
  storage: OutboxStorage;
  key?: string;
  /** Posts one item; throws PermanentSendError for a fatal rejection, anything else to retry later. */
  send: (item: OutboxItem) => Promise<R>;
  /** Called after the server confirmed an item. */
  onSent?: (item: OutboxItem, result: R) => void;
  /** Called when an item was dropped for good. */
  onRejected?: (item: OutboxItem, error: Error) => void;
  /** Called whenever the list of pending items changes. */
  onChange?: (items: readonly OutboxItem[]) => void;
}

/**
 * Messages survive drops, reloads and crashes here (in storage) until the
 * server has them. Items go out one at a time, in order, never two sends of
 * the same item at once; a resend after an unclear failure reuses the
 * client_id, which the server answers with the message it already has.
 */
export class Outbox<R = unknown> {
  readonly #opts: OutboxOptions<R>;
  readonly #key: string;
  #items: OutboxItem[];
  #flushing: Promise<void> | null = null;
  #again = false;

  constructor(opts: OutboxOptions<R>) {
    this.#opts = opts;
    this.#key = opts.key ?? 'holdfast.outbox';
    this.#items = this.#load();
  }

  /** Pending items, oldest first. */
  get items(): readonly OutboxItem[] {
    return this.#items;
  }

  /** Stores the item first (so a crash cannot lose it), then tries to send. */
  add(item: OutboxItem): Promise<void> {
    this.#items = [...this.#items, item];
    this.#save();
    return this.flush();
  }

  /** Forgets an item the user discarded. */
  remove(clientId: string): void {
    const before = this.#items.length;
    this.#items = this.#items.filter((i) => i.clientId !== clientId);
    if (this.#items.length !== before) this.#save();
  }

  /**
   * Sends everything pending, in order. A retryable failure stops the round
   * (the connection is down; later items would fail too) and keeps the item.
   * Calls during a round make it run once more at its end.
   */
  flush(): Promise<void> {
    if (this.#flushing) {
      this.#again = true;
      return this.#flushing;
    }
    this.#flushing = this.#drain().finally(() => {
      this.#flushing = null;
    });
    return this.#flushing;
  }

  async #drain(): Promise<void> {
    do {
      this.#again = false;
      while (this.#items.length > 0) {
        const item = this.#items[0];
        try {
          const result = await this.#opts.send(item);
          this.remove(item.clientId);
          this.#opts.onSent?.(item, result);
        } catch (err) {
          const error = err instanceof Error ? err : new Error(String(err));
          if (err instanceof PermanentSendError) {
            this.remove(item.clientId);
            this.#opts.onRejected?.(item, error);
            continue;
          }
          this.#items = this.#items.map((i) => (i.clientId === item.clientId ? { ...i, lastError: error.message } : i));
          this.#save();
          return;
        }
      }
    } while (this.#again);
  }

  #load(): OutboxItem[] {
    try {
      const raw = this.#opts.storage.getItem(this.#key);
      const parsed: unknown = raw ? JSON.parse(raw) : [];
      if (!Array.isArray(parsed)) return [];
      return parsed.filter(
        (i): i is OutboxItem =>
          !!i && typeof i.clientId === 'string' && typeof i.sessionId === 'string' && typeof i.content === 'string',
      );
    } catch {
      return []; // unreadable storage: start empty rather than fail to boot
    }
  }

  #save(): void {
    try {
      this.#opts.storage.setItem(this.#key, JSON.stringify(this.#items));
    } catch (err) {
      // Quota or private mode: keep the in-memory list working.
      console.warn('holdfast outbox: cannot persist', err);
    }
    this.#opts.onChange?.(this.#items);
  }
}

/** What `flushOnLive` needs from a stream client. */
export interface StatusSource {
  addEventListener(type: 'status', fn: (ev: { data: { state: string } }) => void): void;
  removeEventListener(type: 'status', fn: (ev: { data: { state: string } }) => void): void;
}

/**
 * Sends the outbox each time the stream becomes live: the moment the server
 * is provably reachable again. Returns the unsubscribe function.
 */
export function flushOnLive(client: StatusSource, outbox: Pick<Outbox, 'flush'>): () => void {
  const onStatus = (ev: { data: { state: string } }) => {
    if (ev.data.state === 'live') void outbox.flush();
  };
  client.addEventListener('status', onStatus);
  return () => client.removeEventListener('status', onStatus);
}
