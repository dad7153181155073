import type { Message, MessageDelta, MessagePage } from '../protocol';
import { DeltaBuffer } from './deltas';
import { time } from './sessions.svelte';

const terminal = new Set(['complete', 'failed', 'stopped', 'interrupted']);

/** A message's optional fields, unset when a newer copy from the server leaves them out. */
const cleared: Partial<Message> = {
  error: undefined,
  usage: undefined,
  reasoning: undefined,
  reasoning_chunks: undefined,
  reasoning_started_at: undefined,
  reasoning_ms: undefined,
  finish_reason: undefined,
  error_kind: undefined,
};

/** Every chunk a message holds, text and reasoning: how far along it is. */
const chunksOf = (m: Message) => m.chunks + (m.reasoning_chunks ?? 0);

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
  /** Answer text and reasoning text on their way in, each numbered on its own. */
  readonly #deltas: DeltaBuffer;
  readonly #reasoning: DeltaBuffer;

  /** `frame` schedules the coalesced render (requestAnimationFrame when not given). */
  constructor(frame?: (cb: () => void) => unknown) {
    this.#deltas = new DeltaBuffer(frame, () => this.flush());
    this.#reasoning = new DeltaBuffer(frame, () => this.flush());
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
    this.#reasoning.clear();
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
    if (this.#deltas.has(m.id) || this.#reasoning.has(m.id)) this.flush();
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
    const newer = chunksOf(m) > chunksOf(local) || (chunksOf(m) === chunksOf(local) && time(m.updated_at) >= time(local.updated_at));
    const revived = how === 'continued' && terminal.has(local.status) && chunksOf(m) >= chunksOf(local);
    // The server's copy is whole: what it leaves out is unset.
    if (newer || revived) Object.assign(local, cleared, m);
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

  /** One streamed chunk of reasoning; numbered like `delta`, on its own. */
  reasoning(d: MessageDelta): boolean {
    const msg = this.#find(d.message_id);
    if (!msg) return true;
    const expected = (msg.reasoning_chunks ?? 0) + this.#reasoning.count(d.message_id);
    if (d.index < expected) return true;
    if (d.index > expected) return false;
    this.#reasoning.add(d.message_id, d.text);
    return true;
  }

  /** Applies buffered stream text to the messages (normally once per animation frame). */
  flush(): void {
    this.#reasoning.drain((id, text, count) => {
      const msg = this.#find(id);
      if (msg) {
        msg.reasoning = (msg.reasoning ?? '') + text;
        msg.reasoning_chunks = (msg.reasoning_chunks ?? 0) + count;
      }
    });
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
    this.#reasoning.delete(id);
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
