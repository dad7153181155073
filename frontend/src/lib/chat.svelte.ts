import { Api } from './api';
import { HttpError, isFatalStatus } from './http';
import type { ConfigChanged, ConfigError, Message, MessageDelta, MessagePair, Model, Session } from './protocol';
import { ConfigState, type UiSettings } from './config.svelte';
import { StreamClient, type StreamClientOptions } from './stream/client';
import { earlierHead } from './stream/eventid';
import { Outbox, PermanentSendError, flushOnLive, type OutboxItem, type OutboxStorage } from './stream/outbox';
import type { Resolver, StreamEvent, StreamStatus } from './stream/types';

/** Messages fetched per page; older ones load on scroll. */
export const pageSize = 50;

const activeKey = 'holdfast.active';
const modelKey = 'holdfast.model';

export interface ChatStoreOptions {
  resolve: Resolver;
  storage: OutboxStorage & { removeItem?(k: string): void };
  fetch?: typeof fetch;
  /** Schedules the coalesced render; requestAnimationFrame in the app. */
  frame?: (cb: () => void) => unknown;
  /** Extra stream client options (tests shorten timers). */
  stream?: Partial<StreamClientOptions>;
  /** Reports failures to the user (toasts). */
  onError?: (what: string, err: unknown) => void;
  onStatus?: (status: StreamStatus) => void;
  onActive?: (id: string | null) => void;
  /** Applies a theme or language that changed in config.toml. */
  onConfigUi?: (ui: Partial<UiSettings>) => void;
  newId?: () => string;
}

const terminal = new Set(['complete', 'failed', 'stopped', 'interrupted']);

function time(s: string | undefined): number {
  const t = s ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

function byUpdatedDesc(a: Session, b: Session): number {
  return time(b.updated_at) - time(a.updated_at) || (a.id < b.id ? 1 : -1);
}

/**
 * The app's state: the session list, the open chat, the connection status,
 * and the pending outbox, all kept in step with the server through the one
 * event stream. Applying an event is idempotent (ids, chunk indexes,
 * chunk counts), so replays after a resync or a resume never show anything
 * twice, and streamed text reaches the DOM at most once per animation frame.
 */
export class ChatStore {
  sessions = $state<Session[]>([]);
  activeId = $state<string | null>(null);
  messages = $state<Message[]>([]);
  hasMore = $state(false);
  loadingMessages = $state(false);
  loadingOlder = $state(false);
  models = $state<Model[]>([]);
  defaultModel = $state('demo/demo');
  status = $state<StreamStatus>({ state: 'connecting', attempt: 0 });
  outbox = $state<readonly OutboxItem[]>([]);
  paused = $state(false);
  searchResults = $state<Session[] | null>(null);
  version = $state('');
  /** Ready once the first snapshot is in (the sidebar stops showing "loading"). */
  ready = $state(false);
  /** Answers whose provider refused to continue them, with the server's reason: offer Regenerate. */
  cannotContinue = $state<Record<string, string>>({});

  readonly active = $derived(this.sessions.find((s) => s.id === this.activeId) ?? null);
  readonly streamingMessage = $derived(this.messages.findLast((m) => m.status === 'streaming') ?? null);
  /** Outbox items of the open chat that the server has not echoed back yet. */
  readonly pendingHere = $derived(
    this.outbox.filter((o) => o.sessionId === this.activeId && !this.messages.some((m) => m.client_id === o.clientId)),
  );

  readonly api: Api;
  readonly client: StreamClient;
  /** config.toml as the server has it in force, and its errors. */
  readonly config: ConfigState;
  readonly #outbox: Outbox<MessagePair>;
  readonly #opts: ChatStoreOptions;
  #offOutbox: () => void;
  #deltas = new Map<string, { text: string; count: number }>();
  #frameQueued = false;
  /** While a chat's snapshot loads, its events wait here and are applied after it. */
  #loading: { id: string; events: StreamEvent[] } | null = null;
  #loadSeq = 0;
  #searchSeq = 0;

  constructor(opts: ChatStoreOptions) {
    this.#opts = opts;
    this.api = new Api(opts.resolve, opts.fetch);
    this.config = new ConfigState({
      load: async () => (await this.api.settings()).data,
      storage: opts.storage,
      onUi: (ui) => opts.onConfigUi?.(ui),
      onChanged: () => void this.loadModels(),
    });
    const saved = opts.storage.getItem(activeKey);
    if (saved) this.activeId = saved;
    this.#outbox = new Outbox<MessagePair>({
      storage: opts.storage,
      send: (item) => this.#post(item),
      onSent: (_item, pair) => this.#applyPair(pair),
      onRejected: (_item, err) => this.#opts.onError?.('send', new PermanentSendError(err.message)),
      onChange: (items) => (this.outbox = items),
    });
    this.outbox = this.#outbox.items;
    this.client = new StreamClient({
      resolve: opts.resolve,
      resync: (signal) => this.resync(signal),
      fetch: opts.fetch,
      ...opts.stream,
    });
    this.client.addEventListener('*', (ev) => this.#onEvent(ev));
    this.client.addEventListener<StreamStatus>('status', (ev) => {
      this.status = ev.data;
      this.#opts.onStatus?.(ev.data);
    });
    this.client.addEventListener('hello', () => {
      // Pausing belongs to one connection; a new one must be paused again.
      if (this.paused && this.client.connectionId) void this.api.pauseStream(this.client.connectionId).catch(() => {});
    });
    this.#offOutbox = flushOnLive(this.client, this.#outbox);
  }

  /** Connects; the first attempt loads the snapshot (resync) before streaming. */
  start(): void {
    this.client.start();
    void this.loadModels();
  }

  close(): void {
    this.#offOutbox();
    this.client.close();
  }

  // --- snapshots ------------------------------------------------------------

  /** Reloads the session list and the open chat; returns the head to resume from. */
  async resync(signal?: AbortSignal): Promise<string | null> {
    const id = this.activeId;
    // Not awaited: the chats need not wait for it, and events that arrive meanwhile win.
    void this.config.load();
    const [list, chat] = await Promise.all([
      this.api.listSessions(undefined, signal),
      id ? this.#fetchChat(id, signal).catch((err) => this.#missingChat(err, id)) : Promise.resolve(null),
    ]);
    this.sessions = [...list.data.sessions].sort(byUpdatedDesc);
    if (chat && this.activeId === id) this.#applyChat(chat.data.messages, chat.data.has_more);
    this.ready = true;
    if (this.activeId && !this.sessions.some((s) => s.id === this.activeId)) this.#clearActive();
    return earlierHead(list.head, chat?.head ?? null);
  }

  async loadModels(): Promise<void> {
    try {
      const [{ data }, health] = await Promise.all([this.api.models(), this.api.health().catch(() => null)]);
      this.models = data.models;
      const saved = this.#opts.storage.getItem(modelKey);
      this.defaultModel = saved && data.models.some((m) => m.id === saved) ? saved : data.default;
      if (health) this.version = health.data.version;
    } catch (err) {
      // Models are a nicety; the stream's own retries will show connectivity problems.
      if (err instanceof HttpError) this.#opts.onError?.('models', err);
    }
  }

  #fetchChat(id: string, signal?: AbortSignal) {
    return this.api.listMessages(id, { limit: pageSize, signal });
  }

  #missingChat(err: unknown, id: string): null {
    if (err instanceof HttpError && err.status === 404) {
      if (this.activeId === id) this.#clearActive();
      return null;
    }
    throw err;
  }

  #applyChat(messages: Message[], hasMore: boolean): void {
    this.#deltas.clear();
    this.messages = messages;
    this.hasMore = hasMore;
  }

  /** Opens a chat: snapshot first, with the chat's live events held back until it is in. */
  async open(id: string | null): Promise<void> {
    if (id === this.activeId && (this.messages.length > 0 || this.loadingMessages)) return;
    this.activeId = id;
    this.#remember(id);
    this.#opts.onActive?.(id);
    this.messages = [];
    this.hasMore = false;
    this.#deltas.clear();
    if (!id) return;
    await this.#reload(id);
  }

  async #reload(id: string): Promise<void> {
    const seq = ++this.#loadSeq;
    this.#loading = { id, events: [] };
    this.loadingMessages = true;
    try {
      const chat = await this.#fetchChat(id);
      if (seq !== this.#loadSeq) return;
      this.#applyChat(chat.data.messages, chat.data.has_more);
      const held = this.#loading?.events ?? [];
      this.#loading = null;
      for (const ev of held) this.#apply(ev);
    } catch (err) {
      if (seq !== this.#loadSeq) return;
      this.#loading = null;
      if (err instanceof HttpError && err.status === 404) this.#clearActive();
      else this.#opts.onError?.('load', err);
    } finally {
      if (seq === this.#loadSeq) this.loadingMessages = false;
    }
  }

  async loadOlder(): Promise<number> {
    const first = this.messages[0];
    const id = this.activeId;
    if (!id || !first || !this.hasMore || this.loadingOlder) return 0;
    this.loadingOlder = true;
    try {
      const { data } = await this.api.listMessages(id, { before: first.id, limit: pageSize });
      if (this.activeId !== id) return 0;
      const known = new Set(this.messages.map((m) => m.id));
      const older = data.messages.filter((m) => !known.has(m.id));
      this.messages = [...older, ...this.messages];
      this.hasMore = data.has_more;
      return older.length;
    } catch (err) {
      this.#opts.onError?.('load', err);
      return 0;
    } finally {
      this.loadingOlder = false;
    }
  }

  // --- actions ----------------------------------------------------------------

  /** Creates a chat and opens it. An open chat that is still empty is reused. */
  async newChat(): Promise<Session | null> {
    const current = this.active;
    if (current && current.message_count === 0 && this.messages.length === 0 && this.pendingHere.length === 0) {
      return current;
    }
    try {
      const { data } = await this.api.createSession({ model: this.defaultModel });
      this.#upsertSession(data);
      await this.open(data.id);
      return data;
    } catch (err) {
      this.#opts.onError?.('create', err);
      return null;
    }
  }

  /**
   * Sends a message through the outbox: stored locally first, shown as
   * pending, posted now if possible and otherwise when the stream is live again.
   */
  async send(content: string): Promise<boolean> {
    const text = content.trim();
    if (!text) return false;
    let session = this.active;
    if (!session) {
      session = await this.newChat();
      if (!session) return false;
    }
    const item: OutboxItem = {
      clientId: this.#opts.newId?.() ?? crypto.randomUUID(),
      sessionId: session.id,
      content: text,
      model: session.model || this.defaultModel,
      createdAt: Date.now(),
    };
    void this.#outbox.add(item);
    return true;
  }

  discardPending(clientId: string): void {
    this.#outbox.remove(clientId);
  }

  async #post(item: OutboxItem): Promise<MessagePair> {
    try {
      const { data } = await this.api.sendMessage(item.sessionId, {
        content: item.content,
        client_id: item.clientId,
        model: item.model,
      });
      return data;
    } catch (err) {
      if (err instanceof HttpError && isFatalStatus(err.status)) {
        throw new PermanentSendError(err.message);
      }
      throw err;
    }
  }

  #applyPair(pair: MessagePair): void {
    this.#upsertMessage(pair.user, 'created');
    this.#upsertMessage(pair.assistant, 'created');
  }

  async stop(messageId?: string): Promise<void> {
    const id = messageId ?? this.streamingMessage?.id;
    if (!id) return;
    await this.#act('stop', () => this.api.stop(id));
  }

  async continueMessage(messageId: string): Promise<void> {
    try {
      const { data } = await this.api.continueMessage(messageId);
      this.#upsertMessage(data, 'continued');
    } catch (err) {
      // Not a failure to report but a limit of the provider: the message says so and offers Regenerate.
      if (err instanceof HttpError && err.code === 'cannot_continue') {
        this.cannotContinue = { ...this.cannotContinue, [messageId]: err.message };
      } else {
        this.#opts.onError?.('continue', err);
      }
    }
  }

  async regenerate(messageId: string): Promise<void> {
    await this.#act('regenerate', async () => {
      const { data } = await this.api.regenerate(messageId, this.active?.model);
      this.#removeMessage(messageId);
      this.#upsertMessage(data, 'created');
    });
  }

  async edit(messageId: string, content: string): Promise<void> {
    const text = content.trim();
    if (!text) return;
    await this.#act('edit', async () => {
      const { data } = await this.api.edit(messageId, { content: text, client_id: this.#opts.newId?.() ?? crypto.randomUUID() });
      const at = this.messages.findIndex((m) => m.id === messageId);
      if (at >= 0) this.messages = this.messages.slice(0, at);
      this.#applyPair(data);
    });
  }

  async rename(id: string, title: string): Promise<void> {
    const t = title.trim();
    if (!t) return;
    await this.#act('rename', async () => this.#upsertSession((await this.api.updateSession(id, { title: t })).data));
  }

  async updateSystemPrompt(id: string, systemPrompt: string): Promise<void> {
    await this.#act('save', async () =>
      this.#upsertSession((await this.api.updateSession(id, { system_prompt: systemPrompt })).data),
    );
  }

  async setModel(model: string): Promise<void> {
    this.defaultModel = model;
    this.#opts.storage.setItem(modelKey, model);
    const id = this.activeId;
    if (!id) return;
    await this.#act('model', async () => this.#upsertSession((await this.api.updateSession(id, { model })).data));
  }

  async remove(id: string): Promise<void> {
    await this.#act('delete', async () => {
      await this.api.deleteSession(id);
      this.#dropSession(id);
    });
  }

  /** Holds live events back on the server; generation and logging go on. */
  async pause(): Promise<void> {
    const conn = this.client.connectionId;
    this.paused = true;
    if (conn) await this.#act('pause', () => this.api.pauseStream(conn));
  }

  /** Flushes what the server held back, in order. */
  async resume(): Promise<void> {
    const conn = this.client.connectionId;
    this.paused = false;
    if (conn) await this.#act('pause', () => this.api.resumeStream(conn));
  }

  /** Searches titles and contents; an empty query shows the full list again. */
  async search(q: string): Promise<void> {
    const seq = ++this.#searchSeq;
    const query = q.trim();
    if (!query) {
      this.searchResults = null;
      return;
    }
    try {
      const { data } = await this.api.listSessions(query);
      if (seq === this.#searchSeq) this.searchResults = data.sessions;
    } catch (err) {
      if (seq === this.#searchSeq) this.#opts.onError?.('search', err);
    }
  }

  async #act(what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.#opts.onError?.(what, err);
    }
  }

  // --- events -----------------------------------------------------------------

  #onEvent(ev: StreamEvent): void {
    const sid = (ev.data as { session_id?: string } | null)?.session_id;
    if (this.#loading && sid === this.#loading.id) {
      this.#loading.events.push(ev);
      return;
    }
    this.#apply(ev);
  }

  #apply(ev: StreamEvent): void {
    switch (ev.type) {
      case 'session.created':
      case 'session.updated':
        this.#upsertSession(ev.data as Session);
        return;
      case 'session.deleted':
        this.#dropSession((ev.data as { id: string }).id);
        return;
      case 'message.delta':
        this.#onDelta(ev.data as MessageDelta);
        return;
      case 'message.created':
        this.#upsertMessage(ev.data as Message, 'created');
        return;
      case 'message.continued':
        this.#upsertMessage(ev.data as Message, 'continued');
        return;
      case 'message.completed':
      case 'message.failed':
      case 'message.stopped':
      case 'message.interrupted':
        this.#upsertMessage(ev.data as Message, 'final');
        return;
      case 'message.deleted': {
        const d = ev.data as { id: string; session_id: string };
        if (d.session_id === this.activeId) this.#removeMessage(d.id);
        return;
      }
      case 'config.changed':
        this.config.changed(ev.data as ConfigChanged);
        return;
      case 'config.error':
        this.config.failed(ev.data as ConfigError);
        return;
    }
  }

  #find(id: string): Message | undefined {
    for (let i = this.messages.length - 1; i >= 0; i--) if (this.messages[i].id === id) return this.messages[i];
    return undefined;
  }

  #onDelta(d: MessageDelta): void {
    if (d.session_id !== this.activeId) return;
    const msg = this.#find(d.message_id);
    if (!msg) return; // its message.created is older than the loaded page, or it was deleted
    const buf = this.#deltas.get(d.message_id);
    const expected = msg.chunks + (buf?.count ?? 0);
    if (d.index < expected) return; // already in the snapshot or applied
    if (d.index > expected) {
      // A hole: never guess; take the server's word for the whole chat.
      void this.#reload(d.session_id);
      return;
    }
    if (buf) {
      buf.text += d.text;
      buf.count++;
    } else {
      this.#deltas.set(d.message_id, { text: d.text, count: 1 });
    }
    this.#queueFrame();
  }

  #queueFrame(): void {
    if (this.#frameQueued) return;
    this.#frameQueued = true;
    const frame = this.#opts.frame ?? ((cb: () => void) => requestAnimationFrame(cb));
    frame(() => {
      this.#frameQueued = false;
      this.flushDeltas();
    });
  }

  /** Applies buffered stream text to the messages (normally once per animation frame). */
  flushDeltas(): void {
    for (const [id, buf] of this.#deltas) {
      const msg = this.#find(id);
      if (msg) {
        msg.content += buf.text;
        msg.chunks += buf.count;
      }
    }
    this.#deltas.clear();
  }

  #upsertMessage(m: Message, kind: 'created' | 'continued' | 'final'): void {
    if (!m?.id || m.session_id !== this.activeId) {
      if (m?.session_id) this.#bumpCount(m.session_id, m, kind);
      return;
    }
    if (this.#deltas.has(m.id)) this.flushDeltas();
    const local = this.#find(m.id);
    if (!local) {
      const first = this.messages[0];
      // Older than the loaded page: it belongs to history that loads on scroll.
      if (first && this.hasMore && m.id < first.id) return;
      const at = this.messages.findIndex((x) => x.id > m.id);
      this.messages = at < 0 ? [...this.messages, m] : [...this.messages.slice(0, at), m, ...this.messages.slice(at)];
      this.#bumpCount(m.session_id, m, kind);
      return;
    }
    if (kind === 'created') return; // a replayed creation must not wipe streamed text
    const newer = m.chunks > local.chunks || (m.chunks === local.chunks && time(m.updated_at) >= time(local.updated_at));
    const revived = kind === 'continued' && terminal.has(local.status) && m.chunks >= local.chunks;
    if (newer || revived) Object.assign(local, { error: undefined, usage: undefined }, m);
  }

  #bumpCount(sessionId: string, m: Message, kind: string): void {
    if (kind !== 'created' || m.role !== 'user') return;
    const s = this.sessions.find((x) => x.id === sessionId);
    if (s && s.message_count === 0) s.message_count = 1; // enough for "is this chat empty"
  }

  #removeMessage(id: string): void {
    this.#deltas.delete(id);
    if (id in this.cannotContinue) {
      const { [id]: _gone, ...rest } = this.cannotContinue;
      this.cannotContinue = rest;
    }
    this.messages = this.messages.filter((m) => m.id !== id);
  }

  #upsertSession(s: Session): void {
    if (!s?.id) return;
    const i = this.sessions.findIndex((x) => x.id === s.id);
    if (i >= 0 && time(this.sessions[i].updated_at) > time(s.updated_at)) return; // stale replay
    const next = i >= 0 ? this.sessions.map((x, j) => (j === i ? s : x)) : [...this.sessions, s];
    this.sessions = next.sort(byUpdatedDesc);
    if (this.searchResults) this.searchResults = this.searchResults.map((x) => (x.id === s.id ? s : x));
  }

  #dropSession(id: string): void {
    this.sessions = this.sessions.filter((s) => s.id !== id);
    if (this.searchResults) this.searchResults = this.searchResults.filter((s) => s.id !== id);
    if (this.activeId === id) this.#clearActive();
  }

  #clearActive(): void {
    this.activeId = null;
    this.messages = [];
    this.hasMore = false;
    this.#deltas.clear();
    this.#remember(null);
    this.#opts.onActive?.(null);
  }

  #remember(id: string | null): void {
    try {
      if (id) this.#opts.storage.setItem(activeKey, id);
      else this.#opts.storage.removeItem?.(activeKey);
    } catch {
      // storage is a convenience here
    }
  }
}
