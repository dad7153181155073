import type { Api } from '../api';
import type { ReportError } from '../errors';
import { HttpError } from '../http';
import type { SearchHit, SearchResult, Segment, Session } from '../protocol';

/** Hits per page of results. */
export const searchPageSize = 30;

/** A chat and its matching messages. */
export interface SearchGroup {
  session: Session;
  hits: SearchHit[];
}

/** A chat whose title matches, with the title's matched pieces. */
export interface TitleMatch {
  session: Session;
  title: Segment[];
}

export interface SessionSearchOptions {
  api: Pick<Api, 'search'>;
  onError?: ReportError;
}

/**
 * The sidebar's search: messages that match, grouped by chat, and chats
 * whose title matches, as the server found them. Only the answer to the
 * latest query counts (older requests are cancelled); more pages merge
 * into the groups by chat; results follow renames and deletions.
 */
export class SessionSearch {
  #query = $state('');
  #titles = $state.raw<readonly TitleMatch[]>([]);
  #groups = $state.raw<readonly SearchGroup[]>([]);
  #partial = $state(false);
  #indexing = $state(0);
  #loading = $state(false);
  /** The server's error code for a query it refused (too long), shown with the results. */
  #refused = $state<string | null>(null);
  #cursor: string | null = null;
  #seq = 0;
  #abort: AbortController | null = null;
  readonly #opts: SessionSearchOptions;

  constructor(opts: SessionSearchOptions) {
    this.#opts = opts;
  }

  /** The query the results answer ('' when not searching). */
  get query(): string {
    return this.#query;
  }

  get active(): boolean {
    return this.#query !== '';
  }

  get titles(): readonly TitleMatch[] {
    return this.#titles;
  }

  get groups(): readonly SearchGroup[] {
    return this.#groups;
  }

  /**
   * The last page stopped at the server's bound before it was full (short
   * words are looked for message by message, 50,000 at a time): older
   * messages are still to be searched, with more().
   */
  get partial(): boolean {
    return this.#partial && this.#cursor !== null;
  }

  /**
   * Messages of imported chats the server has not indexed yet (as of the
   * last page). They are searched all the same; the panel says indexing
   * is still going on, so a slower search is explained.
   */
  get indexing(): number {
    return this.#indexing;
  }

  get loading(): boolean {
    return this.#loading;
  }

  get refused(): string | null {
    return this.#refused;
  }

  get hasMore(): boolean {
    return this.#cursor !== null;
  }

  /** Searches; an empty query ends the search. */
  async search(q: string): Promise<void> {
    const query = q.trim();
    const seq = ++this.#seq;
    this.#abort?.abort();
    this.#abort = null;
    if (!query) {
      this.#query = '';
      this.#titles = [];
      this.#groups = [];
      this.#cursor = null;
      this.#partial = false;
      this.#indexing = 0;
      this.#loading = false;
      this.#refused = null;
      return;
    }
    const abort = (this.#abort = new AbortController());
    this.#loading = true;
    try {
      const { data } = await this.#opts.api.search(query, { limit: searchPageSize, signal: abort.signal });
      if (seq !== this.#seq) return;
      this.#query = query;
      this.#refused = null;
      this.#titles = data.titles ?? [];
      this.#groups = [];
      this.#merge(data);
    } catch (err) {
      if (seq !== this.#seq) return;
      this.#query = query;
      this.#titles = [];
      this.#groups = [];
      this.#cursor = null;
      this.#partial = false;
      if (err instanceof HttpError && err.status === 400) this.#refused = err.code;
      else this.#opts.onError?.('search', err);
    } finally {
      if (seq === this.#seq) this.#loading = false;
    }
  }

  /** The next page of hits. */
  async more(): Promise<void> {
    const cursor = this.#cursor;
    if (!cursor || this.#loading) return;
    const seq = this.#seq;
    this.#loading = true;
    try {
      const { data } = await this.#opts.api.search(this.#query, { limit: searchPageSize, cursor });
      if (seq === this.#seq) this.#merge(data);
    } catch (err) {
      if (seq === this.#seq) this.#opts.onError?.('search', err);
    } finally {
      if (seq === this.#seq) this.#loading = false;
    }
  }

  /** A chat changed (renamed, archived): its results show the new copy. */
  update(s: Session): void {
    if (this.#titles.some((t) => t.session.id === s.id)) this.#titles = this.#titles.map((t) => (t.session.id === s.id ? { ...t, session: s } : t));
    if (this.#groups.some((g) => g.session.id === s.id)) this.#groups = this.#groups.map((g) => (g.session.id === s.id ? { ...g, session: s } : g));
  }

  /** A chat is gone: so are its results. */
  forget(id: string): void {
    this.#titles = this.#titles.filter((t) => t.session.id !== id);
    this.#groups = this.#groups.filter((g) => g.session.id !== id);
  }

  /** Adds a page: a chat already shown gets its new hits, others are appended in order. */
  #merge(data: SearchResult): void {
    const groups = this.#groups.map((g) => ({ ...g, hits: [...g.hits] }));
    const at = new Map(groups.map((g, i) => [g.session.id, i]));
    for (const g of data.groups ?? []) {
      const i = at.get(g.session.id);
      if (i === undefined) {
        at.set(g.session.id, groups.length);
        groups.push({ session: g.session, hits: [...g.hits] });
      } else {
        const seen = new Set(groups[i].hits.map((h) => h.message_id));
        groups[i].hits.push(...g.hits.filter((h) => !seen.has(h.message_id)));
      }
    }
    this.#groups = groups;
    this.#cursor = data.next_cursor ?? null;
    this.#partial = data.partial === true;
    this.#indexing = data.indexing ?? 0;
  }
}
