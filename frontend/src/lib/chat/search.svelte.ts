import type { Api } from '../api';
import type { ReportError } from '../errors';
import type { Session } from '../protocol';

export interface SessionSearchOptions {
  api: Pick<Api, 'listSessions'>;
  onError?: ReportError;
}

/**
 * The sidebar's search: chats whose title or messages match, as the server
 * found them. Only the answer to the latest query counts; matches follow
 * renames and deletions until the next query.
 */
export class SessionSearch {
  #results = $state.raw<readonly Session[] | null>(null);
  #seq = 0;
  readonly #opts: SessionSearchOptions;

  constructor(opts: SessionSearchOptions) {
    this.#opts = opts;
  }

  /** The matches; null when not searching (the full list shows). */
  get results(): readonly Session[] | null {
    return this.#results;
  }

  /** Searches titles and contents; an empty query shows the full list again. */
  async search(q: string): Promise<void> {
    const seq = ++this.#seq;
    const query = q.trim();
    if (!query) {
      this.#results = null;
      return;
    }
    try {
      const { data } = await this.#opts.api.listSessions(query);
      if (seq === this.#seq) this.#results = data.sessions;
    } catch (err) {
      if (seq === this.#seq) this.#opts.onError?.('search', err);
    }
  }

  update(s: Session): void {
    if (this.#results) this.#results = this.#results.map((x) => (x.id === s.id ? s : x));
  }

  forget(id: string): void {
    if (this.#results) this.#results = this.#results.filter((s) => s.id !== id);
  }
}
