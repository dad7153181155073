import { Api } from './api';
import { AttachmentImages } from './attachments/images';
import { Connection } from './chat/connection.svelte';
import { Conversation } from './chat/conversation.svelte';
import { Models } from './chat/models.svelte';
import { PendingMessages } from './chat/pending.svelte';
import { SessionSearch } from './chat/search.svelte';
import { SessionList, sessionPageSize } from './chat/sessions.svelte';
import { ConfigState, type UiSettings } from './config.svelte';
import type { ReportError } from './errors';
import type { BranchSwitched, ConfigChanged, ConfigError, SearchHit, Session, SessionChanges, SessionDeleted } from './protocol';
import type { QueuedRef } from './attachments/attachments';
import type { FileStore } from './attachments/filestore';
import { OfflineFiles } from './attachments/offline';
import { StreamClient, type StreamClientOptions } from './stream/client';
import { earlierHead } from './stream/eventid';
import { flushOnLive, kindOf, type OutboxItem, type OutboxStorage } from './stream/outbox';
import type { Delivered } from './chat/pending.svelte';
import type { MessagePair } from './protocol';
import type { Resolver, StreamEvent, StreamStatus } from './stream/types';

export interface ChatStoreOptions {
  resolve: Resolver;
  storage: OutboxStorage & { removeItem?(k: string): void };
  fetch?: typeof fetch;
  /** Schedules the coalesced render; requestAnimationFrame in the app. */
  frame?: (cb: () => void) => unknown;
  /** Extra stream client options (tests shorten timers). */
  stream?: Partial<StreamClientOptions>;
  /** Reports failures to the user (toasts). */
  onError?: ReportError;
  onStatus?: (status: StreamStatus) => void;
  /** New words of the open chat reached the screen after the stream came back from an outage. */
  onResumed?: () => void;
  onActive?: (id: string | null) => void;
  /** Applies a theme or language that changed in config.toml. */
  onConfigUi?: (ui: Partial<UiSettings>) => void;
  newId?: () => string;
  /** Where files of messages queued offline are kept (IndexedDB in the app); null or absent: nowhere. */
  files?: FileStore | null;
}

/**
 * The app's state objects, kept in step with the server: REST snapshots fill
 * them, the one event stream's events go to the object they concern, and
 * the few actions that span several objects live here. Each object keeps its
 * own state private and changes it only through its methods.
 */
export class ChatStore {
  readonly api: Api;
  /** Pictures of stored images (thumbnails kept, full images on loan to the viewer). */
  readonly attachmentImages: AttachmentImages;
  readonly client: StreamClient;
  /** The sidebar's chats. */
  readonly sessions: SessionList;
  readonly search: SessionSearch;
  /** The open chat. */
  readonly conversation: Conversation;
  /** Messages the server has not confirmed yet. */
  readonly pending: PendingMessages;
  /** The stream's status, and pause. */
  readonly connection: Connection;
  readonly models: Models;
  /** Files of messages queued offline, kept in the browser until sent. */
  readonly offline: OfflineFiles;
  /** config.toml as the server has it in force, and its errors. */
  readonly config: ConfigState;
  readonly #newId: () => string;
  readonly #onError: ReportError | undefined;
  readonly #offOutbox: () => void;
  readonly #active: Session | null;
  #listed: () => void = () => {};
  /**
   * Settles when the first chat list has arrived (or its request failed):
   * the page mounts with it, so the sidebar's rows come in the first
   * layout of the app instead of a second one after it.
   */
  readonly listed: Promise<void> = new Promise((resolve) => (this.#listed = resolve));

  constructor(opts: ChatStoreOptions) {
    const { storage, onError } = opts;
    this.#onError = onError;
    const api = (this.api = new Api(opts.resolve, opts.fetch));
    this.attachmentImages = new AttachmentImages((id, o) => api.attachmentBlob(id, o));
    this.#newId = () => opts.newId?.() ?? crypto.randomUUID();
    this.config = new ConfigState({
      load: async () => (await api.settings()).data,
      storage,
      onUi: (ui) => opts.onConfigUi?.(ui),
      onChanged: () => void this.models.load(),
    });
    this.search = new SessionSearch({ api, onError });
    this.sessions = new SessionList({
      api,
      onError,
      onUpdated: (s) => this.search.update(s),
      onDropped: (id) => {
        this.search.forget(id);
        if (this.conversation.id === id) this.conversation.close();
      },
    });
    this.conversation = new Conversation({
      api,
      outbox: (item) => this.pending.add(item),
      storage,
      frame: opts.frame,
      newId: this.#newId,
      model: () => this.active?.model,
      onUserMessage: (id) => this.sessions.markUsed(id),
      onSession: (s) => this.sessions.upsert(s),
      onActive: opts.onActive,
      onError,
    });
    this.models = new Models({ api, storage, onError });
    this.offline = new OfflineFiles({ store: opts.files ?? null, upload: (file, name) => api.uploadAttachment(file, name) });
    this.pending = new PendingMessages({
      api,
      storage,
      chat: this.conversation,
      files: this.offline,
      onDone: (item, r) => this.#delivered(item, r),
      onError,
    });
    this.client = new StreamClient({ resolve: opts.resolve, resync: (signal) => this.resync(signal), fetch: opts.fetch, ...opts.stream });
    this.client.addEventListener('*', (ev) => this.#onEvent(ev));
    this.connection = new Connection({ client: this.client, api, onStatus: opts.onStatus, onError });
    this.#offOutbox = flushOnLive(this.client, this.pending);
    if (opts.onResumed) this.#watchResume(opts.onResumed, opts.frame ?? ((cb) => requestAnimationFrame(cb)));
    this.#active = $derived(this.sessions.find(this.conversation.id));
  }

  /** The open chat's session, once the list has it. */
  get active(): Session | null {
    return this.#active;
  }

  /** Connects; the first attempt loads the snapshot (resync) before streaming. */
  start(): void {
    this.client.start();
    void this.models.load();
  }

  close(): void {
    this.#offOutbox();
    this.client.close();
  }

  /** Reloads the session list and the open chat; returns the head to resume from. */
  async resync(signal?: AbortSignal): Promise<string | null> {
    const id = this.conversation.id;
    // Not awaited: the chats need not wait for it, and events that arrive meanwhile win.
    void this.config.load();
    const [list, chat] = await Promise.all([
      // The sidebar shows its first page as soon as it is here, without waiting for the chat.
      this.api
        .listSessions({ limit: sessionPageSize, signal })
        .then((r) => {
          this.sessions.replace(r.data);
          return r;
        })
        .finally(() => this.#listed()),
      id ? this.conversation.read(id, signal) : Promise.resolve(null),
    ]);
    if (id && chat) this.conversation.show(id, chat.data);
    const open = this.conversation.id;
    // An open chat beyond the first page is still there if its page was found.
    if (open && !chat && !this.sessions.find(open)) this.conversation.close();
    if (open && chat && !this.sessions.find(open)) void this.#learn(open);
    return earlierHead(list.head, chat?.head ?? null);
  }

  /** Reads a chat the loaded pages do not have (an old chat left open), for its title and settings. */
  async #learn(id: string): Promise<void> {
    try {
      this.sessions.upsert((await this.api.getSession(id)).data);
    } catch {
      // The header shows the app's name until the chat turns up in an event.
    }
  }

  /** Opens a search hit: its chat on the hit's branch, scrolled to it, `terms` highlighted. */
  async openHit(session: Session, hit: SearchHit, terms: readonly string[]): Promise<void> {
    this.sessions.upsert(session);
    await this.conversation.openAt(hit.session_id, hit.message_id, terms);
  }

  /** Changes the open chat's settings (model, system prompt, generation parameters). */
  async updateChat(id: string, changes: SessionChanges): Promise<void> {
    if (changes.model) this.models.choose(changes.model);
    await this.sessions.update('save', id, changes);
  }

  /** Creates a chat and opens it. An open chat that is still empty is reused. */
  async newChat(): Promise<Session | null> {
    const current = this.active;
    if (current && current.message_count === 0 && this.conversation.messages.length === 0 && this.pending.here.length === 0) {
      return current;
    }
    try {
      const { data } = await this.api.createSession({ model: this.models.defaultModel });
      this.sessions.upsert(data);
      await this.conversation.open(data.id);
      return data;
    } catch (err) {
      this.#onError?.('create', err);
      return null;
    }
  }

  /**
   * Sends a message through the outbox: stored locally first, shown as
   * pending, posted now if possible and otherwise when the stream is live again.
   */
  async send(content: string, attachments: QueuedRef[] = []): Promise<boolean> {
    const text = content.trim();
    if (!text && attachments.length === 0) return false;
    const session = this.active ?? (await this.newChat());
    if (!session) return false;
    // A search hit left the view in the middle of the path: the answer goes at its end.
    if (this.conversation.id === session.id) await this.conversation.toEnd();
    this.pending.add({
      clientId: this.#newId(),
      sessionId: session.id,
      content: text,
      attachments: attachments.length ? attachments : undefined,
      model: session.model || this.models.defaultModel,
      createdAt: Date.now(),
    });
    return true;
  }

  /** Deletes a chat; like every request it goes through the outbox (pending while offline). */
  deleteChat(id: string): void {
    this.pending.add({ kind: 'delete-chat', clientId: this.#newId(), sessionId: id, content: '', createdAt: Date.now() });
  }

  /** The server answered an outbox item: its result goes where it belongs. */
  #delivered(item: OutboxItem, result: Delivered): void {
    switch (kindOf(item)) {
      case 'send':
        if (result.data) this.conversation.addPair(result.data as MessagePair);
        return;
      case 'delete-chat':
        return this.sessions.drop(item.sessionId);
      default:
        return this.conversation.delivered(item, result);
    }
  }

  /** Picks the model of new chats and of the open one. */
  async setModel(model: string): Promise<void> {
    this.models.choose(model);
    const id = this.conversation.id;
    if (id) await this.sessions.setModel(id, model);
  }

  /** Calls `resumed` once per outage, two frames after the first delta of the open chat (painted by then). */
  #watchResume(resumed: () => void, frame: (cb: () => void) => unknown): void {
    let wasLive = false;
    let waiting = false;
    this.client.addEventListener<StreamStatus>('status', (ev) => {
      if (ev.data.state !== 'live') return;
      waiting = wasLive;
      wasLive = true;
    });
    this.client.addEventListener<{ session_id?: string }>('message.delta', (ev) => {
      if (!waiting || ev.data?.session_id !== this.conversation.id) return;
      waiting = false;
      frame(() => frame(resumed));
    });
  }

  /** Hands each stream event to the object it concerns (the open chat holds its own back while it loads). */
  #onEvent(ev: StreamEvent): void {
    if (ev.type.startsWith('message.')) return this.conversation.receive(ev);
    switch (ev.type) {
      case 'branch.switched':
        this.sessions.upsert((ev.data as BranchSwitched).session);
        return this.conversation.receive(ev);
      case 'session.created':
      case 'session.updated':
        return this.sessions.upsert(ev.data as Session);
      case 'session.deleted':
        return this.sessions.drop((ev.data as SessionDeleted).id);
      case 'config.changed':
        return this.config.changed(ev.data as ConfigChanged);
      case 'config.error':
        return this.config.failed(ev.data as ConfigError);
    }
  }
}
