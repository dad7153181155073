import { HttpError, httpErrorFrom, type ErrorProblem } from './stream/client';
import type { Credentials, Resolver } from './stream/types';

/** A chat (docs/protocol.md). */
export interface Session {
  id: string;
  title: string;
  model: string;
  system_prompt?: string;
  created_at: string;
  updated_at: string;
  message_count: number;
}

export type MessageStatus = 'streaming' | 'complete' | 'failed' | 'stopped' | 'interrupted';

/** One turn of a chat. */
export interface Message {
  id: string;
  session_id: string;
  role: 'user' | 'assistant' | 'system';
  content: string;
  status: MessageStatus;
  error?: string;
  model?: string;
  client_id?: string;
  chunks: number;
  usage?: Usage;
  created_at: string;
  updated_at: string;
}

export interface Model {
  id: string;
  provider: string;
  model: string;
  label: string;
  demo?: boolean;
}

/** Token usage of one answer, as the provider reported it. */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
}

/** One thing wrong with config.toml or with a Settings request (docs/protocol.md, Settings). */
export type Problem = ErrorProblem;

export type ThemeSetting = 'system' | 'light' | 'dark';
export type LanguageSetting = 'auto' | 'en' | 'zh';

/** One `[[providers]]` entry as the API shows it: never an API key. */
export interface ProviderConfig {
  name: string;
  kind: string;
  base_url?: string;
  api_key_ref?: string;
  models?: string[];
  params?: { temperature?: number; max_tokens?: number };
  connect_timeout?: string;
  first_token_timeout?: string;
  idle_timeout?: string;
}

/** config.toml as JSON (durations are strings like "15s"). */
export interface Config {
  default_model: string;
  system_prompt: string;
  server: { addr: string; heartbeat: string };
  ui: { theme: ThemeSetting; language: LanguageSetting };
  /** null when none is configured. */
  providers: ProviderConfig[] | null;
}

/** config.toml cannot be used; the last good configuration stays in force. */
export interface ConfigError {
  file: string;
  problems: Problem[];
}

/** A provider's key, without the key. */
export interface KeyStatus {
  has_key: boolean;
  source?: 'keychain' | 'env' | 'file';
  /** A masked copy, like `sk-…abcd`. */
  hint?: string;
  warning?: string;
  problem?: string;
}

/** GET /api/config. */
export interface SettingsView {
  config: Config;
  error: ConfigError | null;
  warnings: Problem[] | null;
  keys: Record<string, KeyStatus> | null;
  keychain: { available: boolean; warning?: string };
}

/** An OpenAI-compatible server found on loopback (Ollama, LM Studio). */
export interface LocalServer {
  name: string;
  kind: string;
  base_url: string;
  models: string[] | null;
  /** A configured provider with this name or address is used instead. */
  configured: boolean;
}

/** `config.changed` event data. */
export interface ConfigChanged {
  config: Config;
  warnings: Problem[] | null;
}

export interface MessagePair {
  user: Message;
  assistant: Message;
}

export interface Health {
  ok: boolean;
  version: string;
  epoch: string;
  head: string;
}

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

/** Anything that is not an HTTP answer: refused, reset, offline, timed out. */
export function isNetworkError(err: unknown): boolean {
  return !(err instanceof HttpError);
}

/**
 * The REST half of the protocol. Credentials come from the same resolver as
 * the stream's; a 401 asks it once for fresh ones and repeats the request.
 */
export class Api {
  readonly #resolve: Resolver;
  readonly #fetch: typeof fetch;
  #creds: Promise<Credentials> | null = null;

  constructor(resolve: Resolver, fetchFn?: typeof fetch) {
    this.#resolve = resolve;
    this.#fetch = fetchFn ?? globalThis.fetch.bind(globalThis);
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

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<Snapshot<T>> {
    for (let attempt = 0; ; attempt++) {
      const creds = await this.credentials(attempt > 0);
      const url = new URL(creds.baseUrl.replace(/\/+$/, '') + path);
      for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
      const headers: Record<string, string> = { Authorization: `Bearer ${creds.token}`, Accept: 'application/json' };
      if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
      const ctl = new AbortController();
      const onAbort = () => ctl.abort(opts.signal?.reason);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      const timer = opts.timeoutMs
        ? setTimeout(() => ctl.abort(new TypeError(`no answer within ${opts.timeoutMs} ms`)), opts.timeoutMs)
        : null;
      let res: Response;
      try {
        res = await this.#fetch(url.toString(), {
          method,
          headers,
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          signal: ctl.signal,
          cache: 'no-store',
        });
      } catch (err) {
        // The backend may have moved (desktop restart): ask again next time.
        this.#creds = null;
        throw ctl.signal.aborted && ctl.signal.reason instanceof Error ? ctl.signal.reason : err;
      } finally {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      }
      if (res.status === 401 && attempt === 0) continue;
      if (!res.ok) throw await httpErrorFrom(res);
      const head = res.headers.get('X-Event-Head');
      const text = res.status === 204 ? '' : await res.text();
      return { data: (text ? JSON.parse(text) : undefined) as T, head };
    }
  }

  health(signal?: AbortSignal) {
    return this.request<Health>('GET', '/api/health', { signal });
  }

  listSessions(q?: string, signal?: AbortSignal) {
    return this.request<{ sessions: Session[] }>('GET', '/api/sessions', { query: { q }, signal });
  }

  createSession(body: { title?: string; model?: string; system_prompt?: string }) {
    return this.request<Session>('POST', '/api/sessions', { body });
  }

  updateSession(id: string, body: { title?: string; model?: string; system_prompt?: string }) {
    return this.request<Session>('PATCH', `/api/sessions/${encodeURIComponent(id)}`, { body });
  }

  deleteSession(id: string) {
    return this.request<void>('DELETE', `/api/sessions/${encodeURIComponent(id)}`);
  }

  listMessages(id: string, opts: { before?: string; limit?: number; signal?: AbortSignal } = {}) {
    return this.request<{ messages: Message[]; has_more: boolean }>('GET', `/api/sessions/${encodeURIComponent(id)}/messages`, {
      query: { before: opts.before, limit: opts.limit },
      signal: opts.signal,
    });
  }

  sendMessage(sessionId: string, body: { content: string; client_id: string; model?: string }, timeoutMs = 20_000) {
    return this.request<MessagePair>('POST', `/api/sessions/${encodeURIComponent(sessionId)}/messages`, { body, timeoutMs });
  }

  stop(messageId: string) {
    return this.request<Message>('POST', `/api/messages/${encodeURIComponent(messageId)}/stop`);
  }

  continueMessage(messageId: string) {
    return this.request<Message>('POST', `/api/messages/${encodeURIComponent(messageId)}/continue`);
  }

  regenerate(messageId: string, model?: string) {
    return this.request<Message>('POST', `/api/messages/${encodeURIComponent(messageId)}/regenerate`, { body: model ? { model } : {} });
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
    return this.request<{ models: Model[]; default: string }>('GET', '/api/models');
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

  /** Downloads an export; returns the file and the name the server suggested. */
  async exportSession(id: string, format: 'md' | 'json' | 'html'): Promise<{ blob: Blob; filename: string }> {
    const creds = await this.credentials();
    const url = `${creds.baseUrl.replace(/\/+$/, '')}/api/sessions/${encodeURIComponent(id)}/export?format=${format}`;
    const res = await this.#fetch(url, { headers: { Authorization: `Bearer ${creds.token}` }, cache: 'no-store' });
    if (!res.ok) throw await httpErrorFrom(res);
    const cd = res.headers.get('Content-Disposition') ?? '';
    const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd);
    const filename = m ? decodeURIComponent(m[1]) : `chat.${format}`;
    return { blob: await res.blob(), filename };
  }
}

export { HttpError };
