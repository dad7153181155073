import type { Api } from '../api';
import { sessionPageSize } from '../early';
import { attempt, type ReportError } from '../errors';
import type { Session, SessionChanges, SessionPage } from '../protocol';

/** Milliseconds of an RFC 3339 time; 0 when it is missing or unreadable. */
export function time(s: string | undefined): number {
  const t = s ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** When the chat was last used: the sidebar's order and date groups. */
export function activity(s: Session): number {
  return time(s.last_activity_at ?? s.updated_at);
}

/** The server's order: pinned first, then by last activity, newest first, ties by id. */
export function sessionOrder(a: Session, b: Session): number {
  return Number(!!b.pinned) - Number(!!a.pinned) || activity(b) - activity(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

// Chats per page; the page's first script asks for the first page (early.ts).
export { sessionPageSize };

export interface SessionListOptions {
  api: Pick<Api, 'listSessions' | 'updateSession' | 'deleteSession'>;
  onError?: ReportError;
  /** A session arrived or changed (search results follow it). */
  onUpdated?: (s: Session) => void;
  /** A session is gone (search results and the open chat follow). */
  onDropped?: (id: string) => void;
}

/**
 * One ordered, paged list of chats (the sidebar's, or its archived view):
 * pages are appended as the user scrolls; events and REST answers change
 * single entries, which move to where the order puts them. A chat that
 * would sort below the last loaded one waits for its page.
 */
class PagedSessions {
  #list = $state.raw<readonly Session[]>([]);
  #cursor: string | null = null;
  #loaded = $state(false);
  #loading: Promise<void> | null = null;
  #generation = 0;

  get list(): readonly Session[] {
    return this.#list;
  }

  get loaded(): boolean {
    return this.#loaded;
  }

  get complete(): boolean {
    return this.#loaded && this.#cursor === null;
  }

  /** A first page: everything before it is forgotten. */
  reset(page: SessionPage): void {
    this.#generation++;
    this.#loading = null;
    this.#list = [...page.sessions].sort(sessionOrder);
    this.#cursor = page.next_cursor ?? null;
    this.#loaded = true;
  }

  clear(): void {
    this.#generation++;
    this.#loading = null;
    this.#list = [];
    this.#cursor = null;
    this.#loaded = false;
  }

  /** Loads the next page with `fetch` (one at a time; nothing when the list is complete). */
  more(fetch: (cursor: string) => Promise<SessionPage>): Promise<void> {
    const cursor = this.#cursor;
    if (!this.#loaded || cursor === null) return Promise.resolve();
    if (this.#loading) return this.#loading;
    const gen = this.#generation;
    const p = fetch(cursor)
      .then((page) => {
        if (gen !== this.#generation) return;
        const known = new Set(this.#list.map((s) => s.id));
        const fresh = page.sessions.filter((s) => !known.has(s.id));
        this.#list = [...this.#list, ...fresh].sort(sessionOrder);
        this.#cursor = page.next_cursor ?? null;
      })
      .finally(() => {
        if (this.#loading === p) this.#loading = null;
      });
    this.#loading = p;
    return p;
  }

  find(id: string | null): Session | null {
    if (!id) return null;
    return this.#list.find((s) => s.id === id) ?? null;
  }

  /** Puts `s` where the order says; false when it is a stale copy or belongs to a page not loaded yet. */
  put(s: Session): boolean {
    const i = this.#list.findIndex((x) => x.id === s.id);
    if (i >= 0 && time(this.#list[i].updated_at) > time(s.updated_at)) return false; // a stale replay
    const rest = i >= 0 ? this.#list.filter((_, j) => j !== i) : [...this.#list];
    const last = rest.at(-1);
    if (i < 0 && this.#cursor !== null && last && sessionOrder(s, last) > 0) return false; // its page will bring it
    let at = rest.findIndex((x) => sessionOrder(s, x) < 0);
    if (at < 0) at = rest.length;
    rest.splice(at, 0, s);
    this.#list = rest;
    return true;
  }

  remove(id: string): boolean {
    const next = this.#list.filter((s) => s.id !== id);
    if (next.length === this.#list.length) return false;
    this.#list = next;
    return true;
  }

  /** Changes one loaded entry in place (no reordering). */
  patch(id: string, fn: (s: Session) => Session): void {
    if (this.find(id)) this.#list = this.#list.map((s) => (s.id === id ? fn(s) : s));
  }
}

/**
 * The sidebar's chats, pinned first and then newest first, a page at a
 * time, and the archived ones in their own list (loaded when shown). A
 * snapshot replaces the first page; events and REST answers change one
 * entry, and a replay older than the entry shown is ignored.
 */
export class SessionList {
  readonly #active = new PagedSessions();
  readonly #archived = new PagedSessions();
  /** Sessions seen but not in the loaded pages (e.g. a search hit's chat), by id. */
  #known = $state.raw<ReadonlyMap<string, Session>>(new Map());
  readonly #opts: SessionListOptions;

  constructor(opts: SessionListOptions) {
    this.#opts = opts;
  }

  /** The loaded chats that are not archived. */
  get list(): readonly Session[] {
    return this.#active.list;
  }

  /** The archived chats, once asked for (null before). */
  get archived(): readonly Session[] | null {
    return this.#archived.loaded ? this.#archived.list : null;
  }

  /** Ready once the first snapshot is in (the sidebar stops showing "loading"). */
  get ready(): boolean {
    return this.#active.loaded;
  }

  /** Every chat is loaded. */
  get complete(): boolean {
    return this.#active.complete;
  }

  /** A chat by id, wherever it is known from. */
  find(id: string | null): Session | null {
    if (!id) return null;
    return this.#active.find(id) ?? this.#archived.find(id) ?? this.#known.get(id) ?? null;
  }

  /** A snapshot: the first page. */
  replace(page: SessionPage): void {
    this.#active.reset(page);
    if (this.#archived.loaded) void this.loadArchived();
  }

  /** The next page of chats (the list scrolled near its end). */
  async loadMore(): Promise<void> {
    await attempt(this.#opts.onError, 'load', () =>
      this.#active.more(async (cursor) => (await this.#opts.api.listSessions({ cursor, limit: sessionPageSize })).data),
    );
  }

  /** The first page of the archived chats. */
  async loadArchived(): Promise<void> {
    await attempt(this.#opts.onError, 'load', async () => {
      this.#archived.reset((await this.#opts.api.listSessions({ archived: true, limit: sessionPageSize })).data);
    });
  }

  async loadMoreArchived(): Promise<void> {
    await attempt(this.#opts.onError, 'load', () =>
      this.#archived.more(async (cursor) => (await this.#opts.api.listSessions({ archived: true, cursor, limit: sessionPageSize })).data),
    );
  }

  /** A session arrived or changed (an event, a REST answer, a search result). */
  upsert(s: Session): void {
    if (!s?.id) return;
    const prev = this.find(s.id);
    if (prev && time(prev.updated_at) > time(s.updated_at)) return; // a stale replay
    const [into, from] = s.archived ? [this.#archived, this.#active] : [this.#active, this.#archived];
    from.remove(s.id);
    if (into.loaded || into === this.#active) into.put(s);
    // Not in a loaded page (an old chat opened from search): still known, for the header and the model.
    const known = new Map(this.#known);
    if (into.find(s.id)) known.delete(s.id);
    else known.set(s.id, s);
    if (known.size !== this.#known.size || !into.find(s.id)) this.#known = known;
    this.#opts.onUpdated?.(s);
  }

  drop(id: string): void {
    this.#active.remove(id);
    this.#archived.remove(id);
    if (this.#known.has(id)) {
      const known = new Map(this.#known);
      known.delete(id);
      this.#known = known;
    }
    this.#opts.onDropped?.(id);
  }

  /** A user message was seen in chat `id`: enough to know it is not empty. */
  markUsed(id: string): void {
    if (this.find(id)?.message_count !== 0) return;
    this.#active.patch(id, (s) => ({ ...s, message_count: 1 }));
  }

  async rename(id: string, title: string): Promise<void> {
    const t = title.trim();
    if (!t) return;
    await this.update('rename', id, { title: t });
  }

  setModel(id: string, model: string): Promise<void> {
    return this.update('model', id, { model });
  }

  setPinned(id: string, pinned: boolean): Promise<void> {
    return this.update(pinned ? 'pin' : 'unpin', id, { pinned });
  }

  setArchived(id: string, archived: boolean): Promise<void> {
    return this.update(archived ? 'archive' : 'restore', id, { archived });
  }

  remove(id: string): Promise<void> {
    return attempt(this.#opts.onError, 'delete', async () => {
      await this.#opts.api.deleteSession(id);
      this.drop(id);
    });
  }

  /** Changes a chat on the server and shows the answer; failures go to onError under `what`. */
  update(what: string, id: string, body: SessionChanges): Promise<void> {
    return attempt(this.#opts.onError, what, async () => this.upsert((await this.#opts.api.updateSession(id, body)).data));
  }
}
