/**
 * The wire protocol of docs/protocol.md in TypeScript: the JSON objects the
 * REST API answers with and the data of every SSE event. Types only; change
 * them together with that page and the Go structs they mirror.
 */

/** Who named a chat: `auto` ("New chat" or its first words), `generated` (the model), `user` (a rename, final). */
export type TitleSource = 'auto' | 'generated' | 'user';

/** A chat. */
export interface Session {
  id: string;
  title: string;
  title_source?: TitleSource;
  model: string;
  system_prompt?: string;
  /** Per-chat generation settings; null = the provider's default. */
  temperature?: number | null;
  top_p?: number | null;
  max_tokens?: number | null;
  pinned?: boolean;
  archived?: boolean;
  /** The last message of the path the chat shows; null for an empty chat. */
  current_leaf_id?: string | null;
  created_at: string;
  updated_at: string;
  /** Last send or answer end: the sidebar's order and date groups. */
  last_activity_at?: string;
  /** Every message of the chat, all branches. */
  message_count: number;
}

/** One page of `GET /api/sessions`: pinned chats first, then by last activity. */
export interface SessionPage {
  sessions: Session[];
  /** Pass back as `cursor` for the next page; null: this was the last. */
  next_cursor: string | null;
}

/** What `POST /api/sessions` and `PATCH /api/sessions/{id}` take. */
export interface SessionChanges {
  title?: string;
  model?: string;
  system_prompt?: string;
  temperature?: number | null;
  top_p?: number | null;
  max_tokens?: number | null;
  pinned?: boolean;
  archived?: boolean;
}

/** `queued`: waits for the chat's current answer to end (one answer at a time per chat). */
export type MessageStatus = 'streaming' | 'queued' | 'complete' | 'failed' | 'stopped' | 'interrupted';

/** One turn of a chat. */
export interface Message {
  id: string;
  session_id: string;
  role: 'user' | 'assistant' | 'system';
  /** The message this one follows; null for a chat's first message. */
  parent_id?: string | null;
  /** Its position on its path (0 = first). */
  depth?: number;
  /** Messages with the same parent, itself included, oldest first (absent in events other than message.created: unchanged). */
  siblings?: string[];
  /** Its place in `siblings`. */
  sibling_index?: number;
  content: string;
  status: MessageStatus;
  error?: string;
  model?: string;
  client_id?: string;
  chunks: number;
  usage?: Usage;
  /** Files a user message carries (absent when none). */
  attachments?: Attachment[];
  created_at: string;
  updated_at: string;
  /** The model's reasoning (thinking), streamed as `message.reasoning`. */
  reasoning?: string;
  /** How many `message.reasoning` chunks `reasoning` holds (like `chunks` for `content`). */
  reasoning_chunks?: number;
  /** When the first reasoning arrived. */
  reasoning_started_at?: string;
  /** How long the model reasoned in all; set once its reasoning ended. */
  reasoning_ms?: number;
  /** Why the model stopped: stop, length, content_filter, tool_calls, or the provider's own word. */
  finish_reason?: string;
  /** The class of a failure (auth, transient, timeout, truncated, request, upstream, new_turn). */
  error_kind?: string;
}

export type { Attachment } from './attachments/attachments';
import type { Attachment } from './attachments/attachments';

/** Token usage of one answer, as the provider reported it. */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
}

/** The answer of a send or an edit: the user's message and the assistant's placeholder. */
export interface MessagePair {
  user: Message;
  assistant: Message;
}

/** A run of consecutive messages of one path, oldest first (`GET /api/sessions/{id}/messages`). */
export interface MessagePage {
  messages: Message[];
  /** Older messages exist before the first one. */
  has_more: boolean;
  /** The path goes on after the last one. */
  has_newer?: boolean;
  /** The chat's current leaf when the page was read. */
  leaf_id?: string | null;
  /** The page lies on the chat's current path. */
  current?: boolean;
}

/** `POST /api/sessions/{id}/switch`. */
export interface SwitchResult {
  session: Session;
  page: MessagePage;
}

/** A piece of a search snippet or title; `match`: what was searched for. */
export interface Segment {
  text: string;
  match: boolean;
}

/** A message that matched a search. */
export interface SearchHit {
  message_id: string;
  session_id: string;
  role: 'user' | 'assistant' | 'system';
  created_at: string;
  snippet: Segment[];
}

/** `GET /api/search`. */
export interface SearchResult {
  query: string;
  /** Chats whose title matches (first page only). */
  titles: { session: Session; title: Segment[] }[] | null;
  /** Message hits grouped by chat, in the order of each chat's newest hit. */
  groups: { session: Session; hits: SearchHit[] }[] | null;
  next_cursor: string | null;
  /** A query of only 1–2 character terms looked at the newest messages only. */
  partial: boolean;
  /** Messages of imported chats not yet in the search index (found all the same, more slowly). */
  indexing?: number;
}

/** An entry of `GET /api/models`. */
export interface Model {
  id: string;
  provider: string;
  model: string;
  label: string;
  demo?: boolean;
}

/** A provider in `GET /api/models`: listed even when its server cannot be reached. */
export interface ProviderInfo {
  name: string;
  kind: 'demo' | 'openai' | 'anthropic' | string;
  reachable: boolean;
  /** Why its models could not be listed. */
  error?: string;
  /** Found on this machine, not configured. */
  local?: boolean;
}

/** `GET /api/models`. */
export interface ModelList {
  models: Model[];
  default: string;
  providers: ProviderInfo[];
}

/** How a provider continues an interrupted answer, and why (`GET /api/providers`). */
export interface Continuation {
  /** What config.toml says ("auto" when unset); absent for kinds without a setting. */
  setting?: string;
  /** In force: prefill, continue_final_message, prefix, none, native. */
  mode: string;
  /** What "auto" found: llama.cpp, ollama, vllm, lmstudio, openai, deepseek, unknown. */
  server?: string;
  version?: string;
  reason: string;
  detected_at?: string;
  /** The server could not be reached: asked again next time. */
  unsure?: boolean;
}

export interface ProviderContinuation {
  name: string;
  kind: string;
  continuation: Continuation;
}

/** `POST /api/providers/{name}/test`: what the Test button shows. */
export interface CheckResult {
  ok: boolean;
  models: string[];
  models_error?: string;
  model?: string;
  first_token_ms?: number;
  total_ms: number;
  reply?: string;
  finish_reason?: string;
  error?: string;
  error_kind?: string;
  continuation: Continuation;
  notes?: string[];
}

/** `GET /api/health`. */
export interface Health {
  ok: boolean;
  version: string;
  epoch: string;
  head: string;
  storage?: StorageData;
}

/**
 * One thing wrong with a request or with config.toml: `line`/`column` are
 * 1-based positions in the file (absent when unknown), `key` the path of the
 * value ("providers[1].kind").
 */
export interface Problem {
  line?: number;
  column?: number;
  key?: string;
  message: string;
}

/** The body of every failed answer. */
export interface ErrorBody {
  error: { code: string; message: string; problems?: Problem[] };
}

// --- Settings ----------------------------------------------------------------

export type ThemeSetting = 'system' | 'light' | 'dark';
export type LanguageSetting = 'auto' | 'en' | 'zh';

/** One `[[providers]]` entry as the API shows it: never an API key. */
export interface ProviderConfig {
  name: string;
  kind: string;
  base_url?: string;
  api_key_ref?: string;
  models?: string[];
  /** The per-model vision switch: whether a model takes images (overrides what its server says). */
  vision?: Record<string, boolean>;
  params?: { temperature?: number; max_tokens?: number };
  connect_timeout?: string;
  first_token_timeout?: string;
  idle_timeout?: string;
  /** openai kind: auto | prefill | continue_final_message | prefix | none. */
  continuation?: string;
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

/** config.toml cannot be used; the last good configuration stays in force (also the `config.error` event). */
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

/** `GET /api/config`. */
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

// --- SSE event data ------------------------------------------------------------

/** `hello`: the first event of every connection. */
export interface HelloData {
  epoch: string;
  head: string;
  connection_id: string;
  heartbeat_ms: number;
  version: string;
}

/** `reset`: resync over REST, then reconnect with the snapshot's head. */
export interface ResetData {
  reason: string;
  epoch: string;
  head: string;
}

/** `heartbeat` (no id). */
export interface HeartbeatData {
  head: string;
  time: string;
}

/**
 * `storage` (no id, never logged or replayed): whether the database can be
 * written. `busy`: another program holds it; `full`: the disk is full.
 * Sent after `hello` while a fault is on and whenever the state changes.
 */
export interface StorageData {
  state: 'ok' | 'busy' | 'full';
  message?: string;
  since?: string;
}

/** `shutdown`: the server is going away; come back after `retry_ms`. */
export interface ShutdownData {
  reason: string;
  retry_ms: number;
}

/**
 * `message.delta` (answer text) and `message.reasoning` (reasoning text):
 * `index` counts from 0 per message and per kind, and continues across Continue.
 */
export interface MessageDelta {
  message_id: string;
  session_id: string;
  index: number;
  text: string;
}

/** `message.deleted`: the message and every message below it (`count` in all). */
export interface MessageDeleted {
  id: string;
  session_id: string;
  parent_id?: string | null;
  count?: number;
}

/**
 * `branch.switched`: the chat's path changed other than by a message added
 * at its end. `message_id` is the first message of the newly shown part;
 * null (with `leaf_id` null) when the chat became empty.
 */
export interface BranchSwitched {
  session_id: string;
  leaf_id: string | null;
  message_id: string | null;
  session: Session;
}

/** `session.deleted`. */
export interface SessionDeleted {
  id: string;
}

/** `config.changed`: a new configuration is in force. */
export interface ConfigChanged {
  config: Config;
  warnings: Problem[] | null;
}

/** Every SSE event's data, by event name (the table in docs/protocol.md). */
export interface EventData {
  hello: HelloData;
  reset: ResetData;
  heartbeat: HeartbeatData;
  shutdown: ShutdownData;
  storage: StorageData;
  'session.created': Session;
  'session.updated': Session;
  'session.deleted': SessionDeleted;
  'message.created': Message;
  'message.delta': MessageDelta;
  'message.reasoning': MessageDelta;
  'message.completed': Message;
  'message.failed': Message;
  'message.stopped': Message;
  'message.interrupted': Message;
  'message.continued': Message;
  /** An existing answer waits for its turn (Continue while another answer of the chat streams). */
  'message.queued': Message;
  /** A queued answer's turn came: it streams now. */
  'message.started': Message;
  'message.deleted': MessageDeleted;
  'branch.switched': BranchSwitched;
  'config.changed': ConfigChanged;
  'config.error': ConfigError;
}
