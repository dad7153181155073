import type { Api } from '../api';
import { attempt, type ReportError } from '../errors';
import type { Session } from '../protocol';

/** Milliseconds of an RFC 3339 time; 0 when it is missing or unreadable. */
export function time(s: string | undefined): number {
  const t = s ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

function byUpdatedDesc(a: Session, b: Session): number {
  return time(b.updated_at) - time(a.updated_at) || (a.id < b.id ? 1 : -1);
}

export interface SessionListOptions {
  api: Pick<Api, 'updateSession'>;
  onError?: ReportError;
  /** A session arrived or changed (search results follow it). */
  onUpdated?: (s: Session) => void;
  /** A session is gone (search results and the open chat follow). */
  onDropped?: (id: string) => void;
}

/**
 * The sidebar's chats, newest first. A snapshot replaces the list; events
 * and REST answers change one entry, and a replay older than the entry
 * shown is ignored.
 */
export class SessionList {
  #list = $state.raw<readonly Session[]>([]);
  #ready = $state(false);
  readonly #opts: SessionListOptions;

  constructor(opts: SessionListOptions) {
    this.#opts = opts;
  }

  get list(): readonly Session[] {
    return this.#list;
  }

  /** Ready once the first snapshot is in (the sidebar stops showing "loading"). */
  get ready(): boolean {
    return this.#ready;
  }

  find(id: string | null): Session | null {
    return this.#list.find((s) => s.id === id) ?? null;
  }

  /** A snapshot: the whole list. */
  replace(sessions: readonly Session[]): void {
    this.#list = [...sessions].sort(byUpdatedDesc);
    this.#ready = true;
  }

  upsert(s: Session): void {
    if (!s?.id) return;
    const i = this.#list.findIndex((x) => x.id === s.id);
    if (i >= 0 && time(this.#list[i].updated_at) > time(s.updated_at)) return; // stale replay
    const next = i >= 0 ? this.#list.map((x, j) => (j === i ? s : x)) : [...this.#list, s];
    this.#list = next.sort(byUpdatedDesc);
    this.#opts.onUpdated?.(s);
  }

  drop(id: string): void {
    this.#list = this.#list.filter((s) => s.id !== id);
    this.#opts.onDropped?.(id);
  }

  /** A user message was seen in chat `id`: enough to know it is not empty. */
  markUsed(id: string): void {
    if (this.find(id)?.message_count !== 0) return;
    this.#list = this.#list.map((s) => (s.id === id ? { ...s, message_count: 1 } : s));
  }

  async rename(id: string, title: string): Promise<void> {
    const t = title.trim();
    if (!t) return;
    await this.#update('rename', id, { title: t });
  }

  setSystemPrompt(id: string, systemPrompt: string): Promise<void> {
    return this.#update('save', id, { system_prompt: systemPrompt });
  }

  setModel(id: string, model: string): Promise<void> {
    return this.#update('model', id, { model });
  }

  #update(what: string, id: string, body: Parameters<Api['updateSession']>[1]): Promise<void> {
    return attempt(this.#opts.onError, what, async () => this.upsert((await this.#opts.api.updateSession(id, body)).data));
  }
}
