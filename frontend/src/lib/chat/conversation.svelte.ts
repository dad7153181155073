import type { Api, Snapshot } from '../api';
import { attempt, type ReportError } from '../errors';
import { HttpError } from '../http';
import type { Message, MessageDelta, MessageDeleted, MessagePage, MessagePair } from '../protocol';
import type { StreamEvent } from '../stream/types';
import { Transcript, type Arrival } from './transcript.svelte';

/** Messages fetched per page; older ones load on scroll. */
export const pageSize = 50;

const activeKey = 'holdfast.active';

/** The events that carry a whole message, and what each means for a copy already shown. */
const arrivals: Partial<Record<string, Arrival>> = {
  'message.created': 'created',
  'message.continued': 'continued',
  'message.completed': 'final',
  'message.failed': 'final',
  'message.stopped': 'final',
  'message.interrupted': 'final',
};

export interface ConversationOptions {
  api: Pick<Api, 'listMessages' | 'stop' | 'continueMessage' | 'regenerate' | 'edit'>;
  storage: { getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem?(k: string): void };
  /** Schedules the coalesced render; requestAnimationFrame when not given. */
  frame?: (cb: () => void) => unknown;
  newId: () => string;
  /** The open chat's model (Regenerate answers with it). */
  model?: () => string | undefined;
  /** A user message was seen for the first time: its chat is not empty. */
  onUserMessage?: (sessionId: string) => void;
  /** Another chat (or none) is open. */
  onActive?: (id: string | null) => void;
  onError?: ReportError;
}

/**
 * The open chat: which one it is (remembered across reloads), its messages
 * (a Transcript, which merges updates idempotently), the actions on them,
 * and its live events, held back while its snapshot loads so they apply on
 * top of it and never underneath.
 */
export class Conversation {
  #id = $state<string | null>(null);
  #loading = $state(false);
  #loadingOlder = $state(false);
  /** Answers whose provider refused to continue them, with the server's reason. */
  #cannotContinue = $state.raw<Readonly<Record<string, string>>>({});

  readonly #opts: ConversationOptions;
  readonly #transcript: Transcript;
  /** While a chat's snapshot loads, its events wait here and are applied after it. */
  #held: { id: string; events: StreamEvent[] } | null = null;
  #loadSeq = 0;

  constructor(opts: ConversationOptions) {
    this.#opts = opts;
    this.#transcript = new Transcript(opts.frame);
    const saved = opts.storage.getItem(activeKey);
    if (saved) this.#id = saved;
  }

  /** The open chat's id; null when none is open. */
  get id(): string | null {
    return this.#id;
  }

  get messages(): readonly Message[] {
    return this.#transcript.messages;
  }

  /** Older messages exist beyond the loaded page. */
  get hasMore(): boolean {
    return this.#transcript.hasMore;
  }

  /** The chat's snapshot is loading. */
  get loading(): boolean {
    return this.#loading;
  }

  get loadingOlder(): boolean {
    return this.#loadingOlder;
  }

  /** Answers the provider cannot continue, with its reason: offer Regenerate. */
  get cannotContinue(): Readonly<Record<string, string>> {
    return this.#cannotContinue;
  }

  /** The answer being generated, if any. */
  get streaming(): Message | null {
    return this.#transcript.streaming;
  }

  // --- snapshots ------------------------------------------------------------

  /** Opens a chat: snapshot first, with the chat's live events held back until it is in. */
  async open(id: string | null): Promise<void> {
    if (id === this.#id && (this.messages.length > 0 || this.#loading)) return;
    this.#select(id);
    if (id) await this.#reload(id);
  }

  /** Closes the open chat (deleted, or gone from the server). */
  close(): void {
    this.#select(null);
  }

  /** A resync's read of chat `id`: null when it is gone (closed if still open). */
  async read(id: string, signal?: AbortSignal): Promise<Snapshot<MessagePage> | null> {
    try {
      return await this.#opts.api.listMessages(id, { limit: pageSize, signal });
    } catch (err) {
      if (!(err instanceof HttpError && err.status === 404)) throw err;
      if (this.#id === id) this.close();
      return null;
    }
  }

  /** Puts a resync's page in place, if chat `id` is still the open one. */
  show(id: string, page: MessagePage): void {
    if (this.#id === id) this.#transcript.replace(page);
  }

  async loadOlder(): Promise<number> {
    const first = this.messages[0];
    const id = this.#id;
    if (!id || !first || !this.hasMore || this.#loadingOlder) return 0;
    this.#loadingOlder = true;
    try {
      const { data } = await this.#opts.api.listMessages(id, { before: first.id, limit: pageSize });
      return this.#id === id ? this.#transcript.prepend(data) : 0;
    } catch (err) {
      this.#opts.onError?.('load', err);
      return 0;
    } finally {
      this.#loadingOlder = false;
    }
  }

  #select(id: string | null): void {
    this.#id = id;
    this.#transcript.replace({ messages: [], has_more: false });
    try {
      if (id) this.#opts.storage.setItem(activeKey, id);
      else this.#opts.storage.removeItem?.(activeKey);
    } catch {
      // storage is a convenience here
    }
    this.#opts.onActive?.(id);
  }

  async #reload(id: string): Promise<void> {
    const seq = ++this.#loadSeq;
    this.#held = { id, events: [] };
    this.#loading = true;
    try {
      const chat = await this.#opts.api.listMessages(id, { limit: pageSize });
      if (seq !== this.#loadSeq) return;
      this.#transcript.replace(chat.data);
      const held = this.#held?.events ?? [];
      this.#held = null;
      for (const ev of held) this.#apply(ev);
    } catch (err) {
      if (seq !== this.#loadSeq) return;
      this.#held = null;
      if (err instanceof HttpError && err.status === 404) this.close();
      else this.#opts.onError?.('load', err);
    } finally {
      if (seq === this.#loadSeq) this.#loading = false;
    }
  }

  // --- actions ----------------------------------------------------------------

  async stop(messageId?: string): Promise<void> {
    const id = messageId ?? this.streaming?.id;
    if (!id) return;
    await attempt(this.#opts.onError, 'stop', () => this.#opts.api.stop(id));
  }

  async continueMessage(messageId: string): Promise<void> {
    try {
      const { data } = await this.#opts.api.continueMessage(messageId);
      this.#upsert(data, 'continued');
    } catch (err) {
      // Not a failure to report but a limit of the provider: the message says so and offers Regenerate.
      if (err instanceof HttpError && err.code === 'cannot_continue') {
        this.#cannotContinue = { ...this.#cannotContinue, [messageId]: err.message };
      } else {
        this.#opts.onError?.('continue', err);
      }
    }
  }

  async regenerate(messageId: string): Promise<void> {
    await attempt(this.#opts.onError, 'regenerate', async () => {
      const { data } = await this.#opts.api.regenerate(messageId, this.#opts.model?.());
      this.#remove(messageId);
      this.#upsert(data, 'created');
    });
  }

  /** Replaces a user message and everything after it with the edited text and a new answer. */
  async edit(messageId: string, content: string): Promise<void> {
    const text = content.trim();
    if (!text) return;
    await attempt(this.#opts.onError, 'edit', async () => {
      const { data } = await this.#opts.api.edit(messageId, { content: text, client_id: this.#opts.newId() });
      this.#transcript.truncate(messageId, data.user.id);
      this.addPair(data);
    });
  }

  /** The server stored a user message and its answer's placeholder. */
  addPair(pair: MessagePair): void {
    this.#upsert(pair.user, 'created');
    this.#upsert(pair.assistant, 'created');
  }

  // --- events -----------------------------------------------------------------

  /** A `message.*` event from the stream. */
  receive(ev: StreamEvent): void {
    const sid = (ev.data as { session_id?: string } | null)?.session_id;
    if (this.#held && sid === this.#held.id) {
      this.#held.events.push(ev);
      return;
    }
    this.#apply(ev);
  }

  #apply(ev: StreamEvent): void {
    const how = arrivals[ev.type];
    if (how) {
      this.#upsert(ev.data as Message, how);
    } else if (ev.type === 'message.delta') {
      this.#delta(ev.data as MessageDelta);
    } else if (ev.type === 'message.reasoning') {
      const d = ev.data as MessageDelta;
      if (d.session_id === this.#id && !this.#transcript.reasoning(d)) void this.#reload(d.session_id);
    } else if (ev.type === 'message.deleted') {
      const d = ev.data as MessageDeleted;
      if (d.session_id === this.#id) this.#remove(d.id);
    }
  }

  #delta(d: MessageDelta): void {
    if (d.session_id !== this.#id) return;
    // A hole: never guess; take the server's word for the whole chat.
    if (!this.#transcript.delta(d)) void this.#reload(d.session_id);
  }

  #upsert(m: Message, how: Arrival): void {
    if (m?.id && m.session_id === this.#id) {
      if (this.#transcript.upsert(m, how)) this.#seen(m, how);
    } else if (m?.session_id) {
      this.#seen(m, how);
    }
  }

  /** Counts a chat as used once a user message of it is seen (it is no longer "empty"). */
  #seen(m: Message, how: Arrival): void {
    if (how === 'created' && m.role === 'user') this.#opts.onUserMessage?.(m.session_id);
  }

  #remove(id: string): void {
    this.#transcript.remove(id);
    if (id in this.#cannotContinue) {
      const { [id]: _gone, ...rest } = this.#cannotContinue;
      this.#cannotContinue = rest;
    }
  }
}
