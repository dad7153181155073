import type { Api, Snapshot } from '../api';
import { attempt, type ReportError } from '../errors';
import { HttpError } from '../http';
import type { BranchSwitched, Message, MessageDelta, MessageDeleted, MessagePage, MessagePair, Session } from '../protocol';
import type { Delivered } from './pending.svelte';
import { kindOf, type OutboxItem } from '../stream/outbox';
import type { StreamEvent } from '../stream/types';
import { EventHold } from './hold';
import { Transcript, type Arrival } from './transcript.svelte';

/** Messages fetched per page; older ones load on scroll. */
export const pageSize = 50;

const activeKey = 'holdfast.active';

/** The events that carry a whole message, and what each means for a copy already shown. */
const arrivals: Partial<Record<string, Arrival>> = {
  'message.created': 'created',
  'message.continued': 'continued',
  'message.queued': 'continued',
  'message.started': 'continued',
  'message.completed': 'final',
  'message.failed': 'final',
  'message.stopped': 'final',
  'message.interrupted': 'final',
};

/** A message to bring into view and the words to highlight in it (an opened search hit). */
export interface Target {
  messageId: string;
  terms: readonly string[];
  /** Changes on every request, so asking for the same message again scrolls again. */
  seq: number;
}

export interface ConversationOptions {
  api: Pick<Api, 'listMessages' | 'switchBranch'>;
  /**
   * Where the message controls go: the outbox, which keeps them across
   * drops and delivers them in order when the server can be reached.
   */
  outbox: (item: OutboxItem) => void;
  storage: { getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem?(k: string): void };
  /** Schedules the coalesced render; requestAnimationFrame when not given. */
  frame?: (cb: () => void) => unknown;
  newId: () => string;
  /** The open chat's model (Regenerate answers with it). */
  model?: () => string | undefined;
  /** A user message was seen for the first time: its chat is not empty. */
  onUserMessage?: (sessionId: string) => void;
  /** A REST answer carried the chat's session (a switch). */
  onSession?: (s: Session) => void;
  /** Another chat (or none) is open. */
  onActive?: (id: string | null) => void;
  onError?: ReportError;
}

/**
 * The open chat: which one it is (remembered across reloads), the loaded
 * part of the path it shows (a Transcript, which merges updates
 * idempotently), the actions on it (versions, edits, regenerations), and
 * its live events, held back while a snapshot or an action that changes
 * the path is in flight, so they apply on top of it and never underneath.
 */
export class Conversation {
  #id = $state<string | null>(null);
  #loading = $state(false);
  #loadingOlder = $state(false);
  #loadingNewer = $state(false);
  #target = $state.raw<Target | null>(null);
  /** The last shown answer that stopped streaming (screen readers hear of it). */
  #finished = $state.raw<{ id: string; status: Message['status']; content: string; seq: number } | null>(null);
  /** Answers whose provider refused to continue them, with the server's reason. */
  #cannotContinue = $state.raw<Readonly<Record<string, string>>>({});

  readonly #opts: ConversationOptions;
  readonly #transcript: Transcript;
  /** While snapshots or path changes of a chat are in flight, its events wait here and are applied after. */
  readonly #hold = new EventHold<StreamEvent>((ev) => this.#apply(ev));
  #loadSeq = 0;
  #targetSeq = 0;

  constructor(opts: ConversationOptions) {
    this.#opts = opts;
    let seq = 0;
    this.#transcript = new Transcript(opts.frame, (m) => (this.#finished = { id: m.id, status: m.status, content: m.content, seq: ++seq }));
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

  /** The path goes on below the loaded page (opened at a search hit). */
  get hasNewer(): boolean {
    return this.#transcript.hasNewer;
  }

  /** The chat's snapshot is loading. */
  get loading(): boolean {
    return this.#loading;
  }

  get loadingOlder(): boolean {
    return this.#loadingOlder;
  }

  get loadingNewer(): boolean {
    return this.#loadingNewer;
  }

  /** The message to bring into view (a search hit), until the view has done so. */
  get target(): Target | null {
    return this.#target;
  }

  /** The last answer on the shown path that stopped streaming while shown. */
  get finished(): { id: string; status: Message['status']; content: string; seq: number } | null {
    return this.#finished;
  }

  /** Answers the provider cannot continue, with its reason: offer Regenerate. */
  get cannotContinue(): Readonly<Record<string, string>> {
    return this.#cannotContinue;
  }

  /** The answer being generated on the shown path, if any. */
  get streaming(): Message | null {
    return this.#transcript.streaming;
  }

  // --- snapshots ------------------------------------------------------------

  /** Opens a chat at the end of its path: snapshot first, with the chat's live events held back until it is in. */
  async open(id: string | null): Promise<void> {
    if (id === this.#id && (this.messages.length > 0 || this.#loading) && !this.hasNewer) return;
    this.#select(id);
    if (id) await this.#reload(id);
  }

  /**
   * Opens chat `id` on the branch that holds `messageId`, with the page
   * around it, and asks the view to bring it into view with `terms`
   * highlighted (a search hit). The chat then shows that branch.
   */
  async openAt(id: string, messageId: string, terms: readonly string[] = []): Promise<void> {
    if (id !== this.#id) this.#select(id);
    const seq = ++this.#loadSeq;
    this.#loading = true;
    await this.#hold.run(id, async () => {
      try {
        const { data } = await this.#opts.api.switchBranch(id, messageId, pageSize);
        if (seq !== this.#loadSeq || this.#id !== id) return;
        this.#opts.onSession?.(data.session);
        this.#transcript.replace(data.page);
        this.#target = { messageId, terms, seq: ++this.#targetSeq };
      } catch (err) {
        if (seq !== this.#loadSeq) return;
        if (err instanceof HttpError && err.status === 404) await this.#reloadNow(id, seq);
        this.#opts.onError?.('load', err);
      } finally {
        if (seq === this.#loadSeq) this.#loading = false;
      }
    });
  }

  /** The view has brought the target into view. */
  reached(seq: number): void {
    if (this.#target?.seq === seq) this.#target = null;
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
      return this.#id === id && this.messages[0]?.id === first.id ? this.#transcript.prepend(data) : 0;
    } catch (err) {
      this.#opts.onError?.('load', err);
      return 0;
    } finally {
      this.#loadingOlder = false;
    }
  }

  /** The next page of a path opened in the middle (scrolling down). */
  async loadNewer(): Promise<number> {
    const last = this.messages.at(-1);
    const id = this.#id;
    if (!id || !last || !this.hasNewer || this.#loadingNewer) return 0;
    this.#loadingNewer = true;
    try {
      return await this.#hold.run(id, async () => {
        const { data } = await this.#opts.api.listMessages(id, { after: last.id, limit: pageSize });
        return this.#id === id && this.messages.at(-1)?.id === last.id ? this.#transcript.append(data) : 0;
      });
    } catch (err) {
      this.#opts.onError?.('load', err);
      return 0;
    } finally {
      this.#loadingNewer = false;
    }
  }

  /** Shows the end of the path (before a send, when a search hit left the view in the middle). */
  async toEnd(): Promise<void> {
    const id = this.#id;
    if (id && this.hasNewer) await this.#reload(id);
  }

  #select(id: string | null): void {
    this.#id = id;
    this.#target = null;
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
    this.#loading = true;
    try {
      await this.#hold.run(id, () => this.#reloadNow(id, seq));
    } finally {
      if (seq === this.#loadSeq) this.#loading = false;
    }
  }

  async #reloadNow(id: string, seq: number): Promise<void> {
    try {
      const chat = await this.#opts.api.listMessages(id, { limit: pageSize });
      if (seq !== this.#loadSeq || this.#id !== id) return;
      this.#transcript.replace(chat.data);
    } catch (err) {
      if (seq !== this.#loadSeq) return;
      if (err instanceof HttpError && err.status === 404) this.close();
      else this.#opts.onError?.('load', err);
    }
  }

  // --- actions ----------------------------------------------------------------
  // Controls are requests like sends: queued in the outbox (shown as pending
  // on their message while they wait), delivered once, answered in delivered().

  /** Stops an answer (the one streaming when none is named); a queued one is cancelled. */
  stop(messageId?: string): void {
    const id = messageId ?? this.streaming?.id;
    if (id) this.#request('stop', id);
  }

  continueMessage(messageId: string): void {
    this.#request('continue', messageId);
  }

  regenerate(messageId: string): void {
    this.#request('regenerate', messageId, { model: this.#opts.model?.() });
  }

  /** Adds a new version of a user message with the edited text and a new answer; the chat shows it. */
  edit(messageId: string, content: string): void {
    const text = content.trim();
    if (text) this.#request('edit', messageId, { content: text });
  }

  #request(kind: OutboxItem['kind'], messageId: string, extra: { content?: string; model?: string } = {}): void {
    const m = this.#transcript.messages.find((x) => x.id === messageId);
    const sessionId = m?.session_id ?? this.#id;
    if (!sessionId) return;
    this.#opts.outbox({
      kind,
      clientId: this.#opts.newId(),
      sessionId,
      messageId,
      content: extra.content ?? '',
      model: extra.model,
      createdAt: Date.now(),
    });
  }

  /** The server answered a control this chat queued. */
  delivered(item: OutboxItem, result: Delivered): void {
    const id = item.messageId ?? '';
    const kind = kindOf(item);
    if (result.moot) {
      // Not a failure to report but a limit of the provider: the message says so and offers Regenerate.
      if (kind === 'continue' && result.moot.code === 'cannot_continue') {
        this.#cannotContinue = { ...this.#cannotContinue, [id]: result.moot.message };
      }
      return; // nothing was left to do; the stream tells the rest
    }
    switch (kind) {
      case 'stop':
        return this.#upsert(result.data as Message, 'final');
      case 'continue':
        return this.#upsert(result.data as Message, 'continued');
      case 'regenerate': {
        // A new version beside the old one, which stays one ‹ › away.
        const m = result.data as Message;
        this.#clearCannotContinue(id);
        if (this.#id !== m.session_id) return;
        this.#transcript.place(m);
        // The stream may have told of the new answer (even its end) before
        // this delivery, when it was not yet on the shown path: the page
        // brings the path as the server has it now.
        void this.#reload(m.session_id);
        return;
      }
      case 'edit': {
        // A new version of the user message and its answer; the old ones stay.
        const pair = result.data as MessagePair;
        if (this.#id !== pair.user.session_id) return;
        if (this.#transcript.place(pair.user)) this.#transcript.place(pair.assistant);
        this.#seen(pair.user, 'created');
        void this.#reload(pair.user.session_id); // as for regenerate
        return;
      }
    }
  }

  /**
   * Shows version `messageId` (a sibling of a shown message) and the branch
   * below it as it was left. Answers streaming on the branch left behind go
   * on, and are there when switched back to.
   */
  async switchTo(messageId: string): Promise<void> {
    const id = this.#id;
    if (!id) return;
    const shown = this.messages.find((m) => m.siblings?.includes(messageId));
    await attempt(this.#opts.onError, 'switch', () =>
      this.#hold.run(id, async () => {
        const { data } = await this.#opts.api.switchBranch(id, messageId, pageSize * 2);
        if (this.#id !== id) return;
        this.#opts.onSession?.(data.session);
        if (!shown || !this.#transcript.graft(shown.parent_id ?? null, data.page)) this.#transcript.replace(data.page);
      }),
    );
  }

  /** The server stored a user message and its answer's placeholder. */
  addPair(pair: MessagePair): void {
    this.#upsert(pair.user, 'created');
    this.#upsert(pair.assistant, 'created');
  }

  // --- events -----------------------------------------------------------------

  /** A `message.*` or `branch.switched` event from the stream. */
  receive(ev: StreamEvent): void {
    const sid = (ev.data as { session_id?: string } | null)?.session_id;
    if (!this.#hold.offer(sid, ev)) this.#apply(ev);
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
      if (d.session_id === this.#id) this.#remove(d.id, d.parent_id);
    } else if (ev.type === 'branch.switched') {
      void this.#switched(ev.data as BranchSwitched);
    }
  }

  /**
   * The chat's path changed elsewhere (another window, or the answer to one
   * of our own actions): keep what is unchanged above the first changed
   * message and load the rest, unless the path shown already ends there.
   */
  async #switched(d: BranchSwitched): Promise<void> {
    const id = this.#id;
    if (!id || d.session_id !== id) return;
    if (d.leaf_id === null || d.message_id === null) {
      this.#transcript.replace({ messages: [], has_more: false });
      return;
    }
    const firstChanged = d.message_id;
    if (this.messages.at(-1)?.id === d.leaf_id && !this.hasNewer && this.#transcript.has(firstChanged)) return;
    const at = this.messages.find((m) => m.id === firstChanged || m.siblings?.includes(firstChanged));
    const seq = ++this.#loadSeq;
    await this.#hold.run(id, async () => {
      try {
        if (!at) return await this.#reloadNow(id, seq);
        const parent = at.parent_id ?? null;
        const { data } = await this.#opts.api.listMessages(id, parent === null ? { limit: pageSize } : { after: parent, limit: pageSize });
        if (seq !== this.#loadSeq || this.#id !== id) return;
        if (!this.#transcript.graft(parent, data)) await this.#reloadNow(id, seq);
      } catch (err) {
        if (seq === this.#loadSeq) this.#opts.onError?.('load', err);
      }
    });
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

  #remove(id: string, parentId: string | null | undefined): void {
    this.#transcript.removeBranch(id, parentId);
    this.#clearCannotContinue(id);
  }

  #clearCannotContinue(id: string): void {
    if (id in this.#cannotContinue) {
      const { [id]: _gone, ...rest } = this.#cannotContinue;
      this.#cannotContinue = rest;
    }
  }
}
