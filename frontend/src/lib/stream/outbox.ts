/**
 * What an outbox item asks of the server. Sends and controls travel the
 * same way: stored first, delivered in order once the server can be
 * reached, each exactly once in effect (docs/protocol.md, "Delivered once").
 */
import type { QueuedRef } from '../attachments/attachments';

export type OutboxKind = 'send' | 'stop' | 'continue' | 'regenerate' | 'edit' | 'delete-chat';

/** Controls that would set an answer generating again: a later Stop of it supersedes them. */
const restarts: ReadonlySet<OutboxKind> = new Set(['continue', 'regenerate']);

/** A request the user made that the server has not confirmed yet. */
export interface OutboxItem {
  /**
   * Idempotency key: every resend carries the same one (a send's and an
   * edit's `client_id`, a regenerate's `client_id`), so the server acts once.
   */
  clientId: string;
  /** What it asks; absent means `send` (items stored by earlier versions). */
  kind?: OutboxKind;
  sessionId: string;
  /** The message a control acts on (the answer to stop, the message to edit…). */
  messageId?: string;
  /** The text of a send or an edit; empty for other controls. */
  content: string;
  model?: string;
  /**
   * Files the message names: uploaded ones by id, ones kept in the browser
   * (queued offline) by local key until `prepare` has uploaded them.
   */
  attachments?: QueuedRef[];
  createdAt: number;
  /** Last failure, shown next to the "pending" mark. */
  lastError?: string;
}

/** An item's kind, `send` for items from before kinds existed. */
export function kindOf(item: Pick<OutboxItem, 'kind'>): OutboxKind {
  return item.kind ?? 'send';
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
  /**
   * Readies an item just before it is sent (uploads the files it keeps in
   * the browser) and returns it changed, or the same item. The changed item
   * is stored before the send, so work done is not done again. Throws like
   * `send`.
   */
  prepare?: (item: OutboxItem) => Promise<OutboxItem>;
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
 * Requests survive drops, reloads and crashes here (in storage) until the
 * server has them. Items go out one at a time, in order, never two sends of
 * the same item at once; a resend after an unclear failure reuses the
 * client_id, which the server answers with what it already did.
 *
 * Stop wins: a Stop goes before everything waiting (only a request already
 * on its way stays ahead of it) and replaces the pending Continue or
 * Regenerate of the same answer, which would set it going again. A second
 * Stop of an answer whose Stop is pending adds nothing.
 */
export class Outbox<R = unknown> {
  readonly #opts: OutboxOptions<R>;
  readonly #key: string;
  #items: OutboxItem[];
  #flushing: Promise<void> | null = null;
  #again = false;
  /** clientId of the item being delivered right now (always the first). */
  #inFlight: string | null = null;

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
    if (kindOf(item) === 'stop') {
      const target = item.messageId;
      if (this.#items.some((i) => kindOf(i) === 'stop' && i.messageId === target)) return this.flush();
      const kept = this.#items.filter(
        (i) => i.clientId === this.#inFlight || !(i.messageId === target && restarts.has(kindOf(i))),
      );
      this.#items = this.#stopsFirst([...kept, item]);
    } else {
      this.#items = [...this.#items, item];
    }
    this.#save();
    return this.flush();
  }

  /** Stops before everything else (the item on its way stays first); the rest keep their order. */
  #stopsFirst(items: OutboxItem[]): OutboxItem[] {
    const head = items[0] && items[0].clientId === this.#inFlight ? [items[0]] : [];
    const rest = items.slice(head.length);
    return [...head, ...rest.filter((i) => kindOf(i) === 'stop'), ...rest.filter((i) => kindOf(i) !== 'stop')];
  }

  /** Pending items acting on message `id`. */
  about(id: string): OutboxItem[] {
    return this.#items.filter((i) => i.messageId === id);
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
        let item = this.#items[0];
        this.#inFlight = item.clientId;
        try {
          const ready = this.#opts.prepare ? await this.#opts.prepare(item) : item;
          if (ready !== item) {
            if (!this.#items.some((i) => i.clientId === item.clientId)) {
              this.#inFlight = null; // discarded while it was being readied
              continue;
            }
            this.#items = this.#items.map((i) => (i.clientId === item.clientId ? ready : i));
            this.#save();
            item = ready;
          }
          const result = await this.#opts.send(item);
          this.#inFlight = null;
          this.remove(item.clientId);
          this.#opts.onSent?.(item, result);
        } catch (err) {
          this.#inFlight = null;
          const error = err instanceof Error ? err : new Error(String(err));
          if (err instanceof PermanentSendError) {
            this.remove(item.clientId);
            this.#opts.onRejected?.(item, error);
            continue;
          }
          // A Stop that arrived while this one was on its way now goes first.
          this.#items = this.#stopsFirst(this.#items.map((i) => (i.clientId === item.clientId ? { ...i, lastError: error.message } : i)));
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
      const kinds: readonly unknown[] = ['send', 'stop', 'continue', 'regenerate', 'edit', 'delete-chat', undefined];
      return parsed.filter(
        (i): i is OutboxItem =>
          !!i &&
          typeof i.clientId === 'string' &&
          typeof i.sessionId === 'string' &&
          typeof i.content === 'string' &&
          kinds.includes(i.kind) &&
          (i.messageId === undefined || typeof i.messageId === 'string'),
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
