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
 * The loaded part of the path one chat shows: consecutive messages, each
 * the parent of the next, with older ones (`hasMore`) and newer ones
 * (`hasNewer`, when opened in the middle) a page away. Merging is
 * idempotent (ids, chunk indexes, chunk counts), so a replay after a
 * resync or a resume never shows anything twice; streamed text waits in a
 * DeltaBuffer and reaches the messages once per frame. Messages of other
 * branches are not here; their siblings lists say they exist.
 */
export class Transcript {
  // Deep state on purpose: streamed text and final states change one message
  // in place, so only that message renders again.
  #messages = $state<Message[]>([]);
  #hasMore = $state(false);
  #hasNewer = $state(false);
  #streaming = $derived(this.#messages.findLast((m) => m.status === 'streaming') ?? null);
  /** Answer text and reasoning text on their way in, each numbered on its own. */
  readonly #deltas: DeltaBuffer;
  readonly #reasoning: DeltaBuffer;
  readonly #onFinished: ((m: Message) => void) | undefined;

  /**
   * `frame` schedules the coalesced render (requestAnimationFrame when not
   * given); `onFinished` hears of every shown answer that stops streaming.
   */
  constructor(frame?: (cb: () => void) => unknown, onFinished?: (m: Message) => void) {
    this.#deltas = new DeltaBuffer(frame, () => this.flush());
    this.#reasoning = new DeltaBuffer(frame, () => this.flush());
    this.#onFinished = onFinished;
  }

  get messages(): readonly Message[] {
    return this.#messages;
  }

  /** Older messages exist beyond the loaded page. */
  get hasMore(): boolean {
    return this.#hasMore;
  }

  /** The path goes on after the last loaded message. */
  get hasNewer(): boolean {
    return this.#hasNewer;
  }

  /** The answer being generated on the shown path, if any. */
  get streaming(): Message | null {
    return this.#streaming;
  }

  has(id: string): boolean {
    return this.#find(id) !== undefined;
  }

  /** A snapshot: its page replaces everything, buffered text included (the page has it). */
  replace(page: MessagePage): void {
    this.#deltas.clear();
    this.#reasoning.clear();
    this.#messages = page.messages;
    this.#hasMore = page.has_more;
    this.#hasNewer = page.has_newer ?? false;
  }

  /** The page before the first message (scrolling up); returns how many were new. */
  prepend(page: MessagePage): number {
    const known = new Set(this.#messages.map((m) => m.id));
    const older = page.messages.filter((m) => !known.has(m.id));
    this.#messages = [...older, ...this.#messages];
    this.#hasMore = page.has_more;
    return older.length;
  }

  /** The page after the last message (scrolling down a path opened in the middle); returns how many were new. */
  append(page: MessagePage): number {
    const known = new Set(this.#messages.map((m) => m.id));
    const newer = page.messages.filter((m) => !known.has(m.id));
    this.#messages = [...this.#messages, ...newer];
    this.#hasNewer = page.has_newer ?? false;
    return newer.length;
  }

  /**
   * Shows `page` below message `parentId` (null: from the chat's start):
   * what is loaded down to the parent stays, the rest comes from the page
   * (which may begin above the parent). False, and nothing changed, when
   * the parent is not loaded or not in the page.
   */
  graft(parentId: string | null, page: MessagePage): boolean {
    const keep = parentId === null ? 0 : this.#messages.findIndex((m) => m.id === parentId) + 1;
    if (parentId !== null && keep === 0) return false;
    const from = parentId === null ? 0 : page.messages.findIndex((m) => m.id === parentId) + 1;
    if (parentId !== null && from === 0 && page.messages[0]?.parent_id !== parentId) return false;
    for (const m of this.#messages.slice(keep)) this.#forget(m.id);
    this.#messages = [...this.#messages.slice(0, keep), ...page.messages.slice(from)];
    if (parentId === null) this.#hasMore = false;
    this.#hasNewer = page.has_newer ?? false;
    return true;
  }

  /**
   * The server made `m` the shown message after its parent (a regenerated
   * answer, an edit): what followed the parent goes, `m` follows it. False
   * when its parent is not loaded (then the caller reloads).
   */
  place(m: Message): boolean {
    if (this.#find(m.id)) {
      this.upsert(m, 'final');
      return true;
    }
    if (m.parent_id === undefined) return false; // no tree to place it in: reload
    const parent = m.parent_id;
    const keep = parent === null ? 0 : this.#messages.findIndex((x) => x.id === parent) + 1;
    if (parent !== null && keep === 0) return false;
    for (const x of this.#messages.slice(keep)) this.#forget(x.id);
    this.#messages = [...this.#messages.slice(0, keep), m];
    if (parent === null) this.#hasMore = false;
    this.#hasNewer = false;
    this.#shareSiblings(m);
    return true;
  }

  /** Inserts or updates a message of this chat; true when it is new here. */
  upsert(m: Message, how: Arrival): boolean {
    if (this.#deltas.has(m.id) || this.#reasoning.has(m.id)) this.flush();
    const local = this.#find(m.id);
    if (!local) {
      if (how === 'created') this.#shareSiblings(m);
      if (m.parent_id === undefined) return this.#insertByTime(m); // a server without trees
      if (!this.#continuesPath(m)) return false; // another branch, or beyond the loaded page
      this.#messages = [...this.#messages, m];
      return true;
    }
    if (how === 'created') return false; // a replayed creation must not wipe streamed text
    const newer = chunksOf(m) > chunksOf(local) || (chunksOf(m) === chunksOf(local) && time(m.updated_at) >= time(local.updated_at));
    const revived = how === 'continued' && terminal.has(local.status) && chunksOf(m) >= chunksOf(local);
    // The server's copy is whole for the fields in `cleared` (what it leaves
    // out is unset); events other than message.created leave siblings out:
    // absent means unchanged.
    const was = local.status;
    if (newer || revived) Object.assign(local, cleared, withoutAbsent(m));
    if (was === 'streaming' && terminal.has(local.status)) this.#onFinished?.(local);
    return false;
  }

  /**
   * One streamed chunk of this chat. Returns false when chunks before it are
   * missing: never guess, reload the chat instead.
   */
  delta(d: MessageDelta): boolean {
    const msg = this.#find(d.message_id);
    if (!msg) return true; // on another branch, older than the loaded page, or deleted
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

  /**
   * Message `id` and everything below it were deleted: they leave the
   * path, and `id` leaves its siblings' lists.
   */
  removeBranch(id: string, parentId: string | null | undefined): void {
    const at = this.#messages.findIndex((m) => m.id === id);
    if (at >= 0) {
      for (const m of this.#messages.slice(at)) this.#forget(m.id);
      this.#messages = this.#messages.slice(0, at);
      this.#hasNewer = false;
    }
    for (const m of this.#messages) {
      if (m.siblings?.includes(id) && (parentId === undefined || (m.parent_id ?? null) === parentId)) {
        m.siblings = m.siblings.filter((s) => s !== id);
        m.sibling_index = m.siblings.indexOf(m.id);
      }
    }
  }

  /** A message `m` has `siblings`: the shown message among them gets the same list. */
  #shareSiblings(m: Message): void {
    if (!m.siblings) return;
    for (const x of this.#messages) {
      if (x.id !== m.id && (x.parent_id ?? null) === (m.parent_id ?? null) && m.siblings.includes(x.id)) {
        x.siblings = [...m.siblings];
        x.sibling_index = m.siblings.indexOf(x.id);
      }
    }
  }

  /** `m` is the next message of the shown path: the loaded part ends at its parent. */
  #continuesPath(m: Message): boolean {
    if (this.#hasNewer) return false;
    const last = this.#messages.at(-1);
    if (!last) return !this.#hasMore && (m.parent_id ?? null) === null;
    return m.parent_id === last.id;
  }

  /** Without parent ids, messages follow each other in id (creation) order. */
  #insertByTime(m: Message): boolean {
    const first = this.#messages[0];
    // Older than the loaded page: it belongs to history that loads on scroll.
    if (first && this.#hasMore && m.id < first.id) return false;
    const at = this.#messages.findIndex((x) => x.id > m.id);
    this.#messages = at < 0 ? [...this.#messages, m] : [...this.#messages.slice(0, at), m, ...this.#messages.slice(at)];
    return true;
  }

  /** Drops the buffered text and reasoning of a message leaving the view. */
  #forget(id: string): void {
    this.#deltas.delete(id);
    this.#reasoning.delete(id);
  }

  #find(id: string): Message | undefined {
    for (let i = this.#messages.length - 1; i >= 0; i--) if (this.#messages[i].id === id) return this.#messages[i];
    return undefined;
  }
}

/** `m` without its undefined fields (so merging keeps what the event left out). */
function withoutAbsent(m: Message): Partial<Message> {
  const out: Partial<Message> = {};
  for (const [k, v] of Object.entries(m)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
