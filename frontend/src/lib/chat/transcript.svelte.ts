import type { Message, MessageDelta, MessagePage } from '../protocol';
import { DeltaBuffer } from './deltas';
import { time } from './sessions.svelte';

const terminal = new Set(['complete', 'failed', 'stopped', 'interrupted']);

/** How a message arrived: a creation never overwrites, a continuation may revive a finished answer. */
export type Arrival = 'created' | 'continued' | 'final';

/**
 * The loaded messages of one chat and the rules that merge updates into
 * them. Merging is idempotent (ids, chunk indexes, chunk counts), so a
 * replay after a resync or a resume never shows anything twice; streamed
 * text waits in a DeltaBuffer and reaches the messages once per frame.
 */
export class Transcript {
  // Deep state on purpose: streamed text and final states change one message
  // in place, so only that message renders again.
  #messages = $state<Message[]>([]);
  #hasMore = $state(false);
  #streaming = $derived(this.#messages.findLast((m) => m.status === 'streaming') ?? null);
  readonly #deltas: DeltaBuffer;

  /** `frame` schedules the coalesced render (requestAnimationFrame when not given). */
  constructor(frame?: (cb: () => void) => unknown) {
    this.#deltas = new DeltaBuffer(frame, () => this.flush());
  }

  get messages(): readonly Message[] {
    return this.#messages;
  }

  /** Older messages exist beyond the loaded page. */
  get hasMore(): boolean {
    return this.#hasMore;
  }

  /** The answer being generated, if any. */
  get streaming(): Message | null {
    return this.#streaming;
  }

  /** A snapshot: its page replaces everything, buffered text included (the page has it). */
  replace(page: MessagePage): void {
    this.#deltas.clear();
    this.#messages = page.messages;
    this.#hasMore = page.has_more;
  }

  /** The page before the first message (scrolling up); returns how many were new. */
  prepend(page: MessagePage): number {
    const known = new Set(this.#messages.map((m) => m.id));
    const older = page.messages.filter((m) => !known.has(m.id));
    this.#messages = [...older, ...this.#messages];
    this.#hasMore = page.has_more;
    return older.length;
  }

  /** Inserts or updates a message of this chat; true when it is new here. */
  upsert(m: Message, how: Arrival): boolean {
    if (this.#deltas.has(m.id)) this.flush();
    const local = this.#find(m.id);
    if (!local) {
      const first = this.#messages[0];
      // Older than the loaded page: it belongs to history that loads on scroll.
      if (first && this.#hasMore && m.id < first.id) return false;
      const at = this.#messages.findIndex((x) => x.id > m.id);
      this.#messages = at < 0 ? [...this.#messages, m] : [...this.#messages.slice(0, at), m, ...this.#messages.slice(at)];
      return true;
    }
    if (how === 'created') return false; // a replayed creation must not wipe streamed text
    const newer = m.chunks > local.chunks || (m.chunks === local.chunks && time(m.updated_at) >= time(local.updated_at));
    const revived = how === 'continued' && terminal.has(local.status) && m.chunks >= local.chunks;
    if (newer || revived) Object.assign(local, { error: undefined, usage: undefined }, m);
    return false;
  }

  /**
   * One streamed chunk of this chat. Returns false when chunks before it are
   * missing: never guess, reload the chat instead.
   */
  delta(d: MessageDelta): boolean {
    const msg = this.#find(d.message_id);
    if (!msg) return true; // its message.created is older than the loaded page, or it was deleted
    const expected = msg.chunks + this.#deltas.count(d.message_id);
    if (d.index < expected) return true; // already in the snapshot or applied
    if (d.index > expected) return false;
    this.#deltas.add(d.message_id, d.text);
    return true;
  }

  /** Applies buffered stream text to the messages (normally once per animation frame). */
  flush(): void {
    this.#deltas.drain((id, text, count) => {
      const msg = this.#find(id);
      if (msg) {
        msg.content += text;
        msg.chunks += count;
      }
    });
  }

  remove(id: string): void {
    this.#deltas.delete(id);
    this.#messages = this.#messages.filter((m) => m.id !== id);
  }

  /**
   * Drops message `id` and everything after it (an edit replaces them),
   * except messages from `keepFrom` on: the edit's own new messages, which
   * the stream may have delivered before the edit's answer arrived.
   */
  truncate(id: string, keepFrom?: string): void {
    const at = this.#messages.findIndex((m) => m.id === id);
    if (at < 0) return;
    const kept = keepFrom ? this.#messages.slice(at).filter((m) => m.id >= keepFrom) : [];
    this.#messages = [...this.#messages.slice(0, at), ...kept];
  }

  #find(id: string): Message | undefined {
    for (let i = this.#messages.length - 1; i >= 0; i--) if (this.#messages[i].id === id) return this.#messages[i];
    return undefined;
  }
}
