import { afterFailure, httpErrorFrom, joinUrl } from './http';
import type {
  CheckResult,
  Config,
  Health,
  KeyStatus,
  LocalServer,
  Message,
  MessagePage,
  MessagePair,
  ModelList,
  ProviderContinuation,
  SearchResult,
  Session,
  SessionChanges,
  SessionPage,
  SettingsView,
  SwitchResult,
} from './protocol';
import type { Credentials, Resolver } from './stream/types';
import type { Attachment, AttachmentRef } from './attachments/attachments';
import { xhrPost, type XhrLike } from './attachments/progress';

/** A JSON answer plus the snapshot head the server read it at. */
export interface Snapshot<T> {
  data: T;
  head: string | null;
}

interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
  /** Gives up (as a retryable network failure) after this long. */
  timeoutMs?: number;
}

/**
 * The REST half of the protocol (types in protocol.ts). Credentials come from
 * the same resolver as the stream's; a 401 asks it once for fresh ones and
 * repeats the request (http.ts has the rule).
 */
export class Api {
  readonly #resolve: Resolver;
  readonly #fetch: typeof fetch;
  /** Makes the XMLHttpRequest big uploads report progress through; null where there is none. */
  readonly #xhr: (() => XhrLike) | null;
  #creds: Promise<Credentials> | null = null;

  constructor(resolve: Resolver, fetchFn?: typeof fetch, xhr?: (() => XhrLike) | null) {
    this.#resolve = resolve;
    this.#fetch = fetchFn ?? globalThis.fetch.bind(globalThis);
    const X = globalThis.XMLHttpRequest;
    this.#xhr = xhr !== undefined ? xhr : X ? () => new X() as unknown as XhrLike : null;
  }

  /** The current credentials (cached until a 401 or a network failure). */
  credentials(fresh = false): Promise<Credentials> {
    if (fresh || !this.#creds) {
      const p = this.#resolve({ fresh });
      this.#creds = p;
      p.catch(() => {
        if (this.#creds === p) this.#creds = null;
      });
    }
    return this.#creds;
  }

  /**
   * Runs one call with the current credentials. A network failure forgets
   * them (the backend may have moved: desktop restart); a 401 asks for fresh
   * ones and tries once more; any other failure is thrown as an HttpError.
   */
  async #authed(call: (creds: Credentials) => Promise<Response>): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      const creds = await this.credentials(attempt > 0);
      let res: Response;
      try {
        res = await call(creds);
      } catch (err) {
        this.#creds = null;
        throw err;
      }
      if (res.ok) return res;
      if (afterFailure(res.status, attempt > 0) === 'refresh') continue;
      throw await httpErrorFrom(res);
    }
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<Snapshot<T>> {
    const res = await this.#authed(async (creds) => {
      const url = new URL(joinUrl(creds.baseUrl, path));
      for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
      const headers: Record<string, string> = { Authorization: `Bearer ${creds.token}`, Accept: 'application/json' };
      if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
      const ctl = new AbortController();
      const onAbort = () => ctl.abort(opts.signal?.reason);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const timer = opts.timeoutMs
        ? setTimeout(() => ctl.abort(new TypeError(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs)
        : null;
      try {
        return await this.#fetch(url.toString(), {
          method,
          headers,
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          signal: ctl.signal,
          cache: 'no-store',
        });
      } catch (err) {
        throw ctl.signal.aborted && ctl.signal.reason instanceof Error ? ctl.signal.reason : err;
      } finally {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      }
    });
    const head = res.headers.get('X-Event-Head');
    const text = res.status === 204 ? '' : await res.text();
    return { data: (text ? JSON.parse(text) : undefined) as T, head };
  }

  health(signal?: AbortSignal) {
    return this.request<Health>('GET', '/api/health', { signal });
  }

  /** One page of chats: pinned first, then by last activity; `archived` lists only archived ones. */
  listSessions(opts: { limit?: number; cursor?: string; archived?: boolean; signal?: AbortSignal } = {}) {
    return this.request<SessionPage>('GET', '/api/sessions', {
      query: { limit: opts.limit, cursor: opts.cursor, archived: opts.archived ? 1 : undefined },
      signal: opts.signal,
    });
  }

  getSession(id: string) {
    return this.request<Session>('GET', `/api/sessions/${encodeURIComponent(id)}`);
  }

  createSession(body: SessionChanges) {
    return this.request<Session>('POST', '/api/sessions', { body });
  }

  /** Changes what `body` names; null clears a generation setting. */
  updateSession(id: string, body: SessionChanges) {
    return this.request<Session>('PATCH', `/api/sessions/${encodeURIComponent(id)}`, { body });
  }

  /** Messages (and chat titles) matching `q`, newest first, grouped by chat. */
  search(q: string, opts: { limit?: number; cursor?: string; signal?: AbortSignal } = {}) {
    return this.request<SearchResult>('GET', '/api/search', { query: { q, limit: opts.limit, cursor: opts.cursor }, signal: opts.signal });
  }

  /** Makes the chat show the path through `messageId`; answers the page around it. */
  switchBranch(sessionId: string, messageId: string, limit?: number) {
    return this.request<SwitchResult>('POST', `/api/sessions/${encodeURIComponent(sessionId)}/switch`, {
      body: { message_id: messageId, limit },
    });
  }

  /** Deletes a message and every message below it (all its branches). */
  deleteMessage(id: string) {
    return this.request<{ deleted: number; session: Session }>('DELETE', `/api/messages/${encodeURIComponent(id)}`);
  }

  deleteSession(id: string) {
    return this.request<void>('DELETE', `/api/sessions/${encodeURIComponent(id)}`);
  }

  /** A page of a path: the current path's end, or `before`/`after`/`around` a message. */
  listMessages(id: string, opts: { before?: string; after?: string; around?: string; limit?: number; signal?: AbortSignal } = {}) {
    return this.request<MessagePage>('GET', `/api/sessions/${encodeURIComponent(id)}/messages`, {
      query: { before: opts.before, after: opts.after, around: opts.around, limit: opts.limit },
      signal: opts.signal,
    });
  }

  sendMessage(
    sessionId: string,
    body: { content: string; client_id: string; model?: string; attachments?: AttachmentRef[]; parent_id?: string },
    timeoutMs = 20_000,
  ) {
    return this.request<MessagePair>('POST', `/api/sessions/${encodeURIComponent(sessionId)}/messages`, { body, timeoutMs });
  }

  stop(messageId: string) {
    return this.request<Message>('POST', `/api/messages/${encodeURIComponent(messageId)}/stop`);
  }

  continueMessage(messageId: string) {
    return this.request<Message>('POST', `/api/messages/${encodeURIComponent(messageId)}/continue`);
  }

  /** A new answer beside `messageId` (an answer) or to it (a user message). */
  regenerate(messageId: string, body: { model?: string; client_id?: string } = {}) {
    return this.request<Message>('POST', `/api/messages/${encodeURIComponent(messageId)}/regenerate`, { body });
  }

  edit(messageId: string, body: { content: string; client_id: string }) {
    return this.request<MessagePair>('POST', `/api/messages/${encodeURIComponent(messageId)}/edit`, { body });
  }

  pauseStream(connectionId: string) {
    return this.request<void>('POST', `/api/streams/${encodeURIComponent(connectionId)}/pause`);
  }

  resumeStream(connectionId: string) {
    return this.request<void>('POST', `/api/streams/${encodeURIComponent(connectionId)}/resume`);
  }

  models() {
    return this.request<ModelList>('GET', '/api/models');
  }

  /** How each provider continues an interrupted answer, and why. */
  providers() {
    return this.request<{ providers: ProviderContinuation[] }>('GET', '/api/providers', { timeoutMs: 30_000 });
  }

  /** The Settings screen's Test: models, a 1-token answer, time to first token, continuation. */
  testProvider(name: string, model?: string) {
    return this.request<CheckResult>('POST', `/api/providers/${encodeURIComponent(name)}/test`, { body: model ? { model } : {} });
  }

  settings() {
    return this.request<SettingsView>('GET', '/api/config');
  }

  /** Writes config.toml (never with an API key: those go through setKey). */
  saveConfig(config: Config) {
    return this.request<SettingsView>('PUT', '/api/config', { body: config });
  }

  setKey(provider: string, key: string) {
    return this.request<KeyStatus>('PUT', `/api/providers/${encodeURIComponent(provider)}/key`, { body: { key } });
  }

  deleteKey(provider: string) {
    return this.request<KeyStatus>('DELETE', `/api/providers/${encodeURIComponent(provider)}/key`);
  }

  /** Looks for Ollama and LM Studio on this machine now; found ones are put in use. */
  discover() {
    return this.request<{ servers: LocalServer[] }>('POST', '/api/providers/discover');
  }

  /**
   * Uploads one file (its raw bytes; the server sniffs the type). The same
   * bytes give the same id, so a retry is harmless. With `onProgress` the
   * upload goes by XMLHttpRequest (fetch reports no upload progress) and
   * calls it with the percent sent; the URL, headers and failure rules are
   * the same either way.
   */
  async uploadAttachment(
    file: Blob,
    name: string,
    opts: { signal?: AbortSignal; onProgress?: (percent: number) => void } = {},
  ): Promise<Attachment> {
    const { signal, onProgress } = opts;
    const res = await this.#authed((creds) => {
      const url = new URL(joinUrl(creds.baseUrl, '/api/attachments'));
      url.searchParams.set('name', name);
      const headers = { Authorization: `Bearer ${creds.token}`, Accept: 'application/json', 'Content-Type': 'application/octet-stream' };
      return onProgress && this.#xhr
        ? xhrPost(this.#xhr(), url.toString(), headers, file, onProgress, signal)
        : this.#fetch(url.toString(), { method: 'POST', headers, body: file, signal, cache: 'no-store' });
    });
    return (await res.json()) as Attachment;
  }

  /**
   * A stored file's bytes, or its thumbnail's, fetched with the token in
   * the header. Pictures are shown from these as blob: URLs: the desktop
   * window's page (its own origin) may not load http://127.0.0.1 images,
   * and no token ends up in an <img>.
   */
  async attachmentBlob(id: string, opts: { thumb?: boolean; signal?: AbortSignal } = {}): Promise<Blob> {
    const res = await this.#authed((creds) => {
      const url = joinUrl(creds.baseUrl, `/api/attachments/${encodeURIComponent(id)}${opts.thumb ? '/thumb' : ''}`);
      // Stored files never change (immutable): the HTTP cache may answer.
      return this.#fetch(url, { headers: { Authorization: `Bearer ${creds.token}` }, signal: opts.signal });
    });
    return await res.blob();
  }

  /** The URL of a stored file (or its thumbnail) for an <img> or a link: the token rides in the query. */
  async attachmentUrl(id: string, opts: { thumb?: boolean; name?: string } = {}): Promise<string> {
    const creds = await this.credentials();
    const url = new URL(joinUrl(creds.baseUrl, `/api/attachments/${encodeURIComponent(id)}${opts.thumb ? '/thumb' : ''}`));
    url.searchParams.set('token', creds.token);
    if (opts.name) url.searchParams.set('name', opts.name);
    return url.toString();
  }

  /** Downloads an export; returns the file and the name the server suggested. */
  async exportSession(id: string, format: 'md' | 'json' | 'html'): Promise<{ blob: Blob; filename: string }> {
    const creds = await this.credentials();
    const url = joinUrl(creds.baseUrl, `/api/sessions/${encodeURIComponent(id)}/export?format=${format}`);
    const res = await this.#fetch(url, { headers: { Authorization: `Bearer ${creds.token}` }, cache: 'no-store' });
    if (!res.ok) throw await httpErrorFrom(res);
    const cd = res.headers.get('Content-Disposition') ?? '';
    const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd);
    const filename = m ? decodeURIComponent(m[1]) : `chat.${format}`;
    return { blob: await res.blob(), filename };
  }
}
