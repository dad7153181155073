import type { Config, LanguageSetting, Problem, ProviderConfig, ThemeSetting } from './protocol';
import type { Translate } from './i18n.svelte';

/** The kinds a provider can have (docs/providers.md). */
export const providerKinds = ['openai', 'anthropic'] as const;

/** How an OpenAI-compatible server continues answers (config.toml's `continuation`); "" is auto. */
export const continuationModes = ['', 'prefill', 'continue_final_message', 'prefix', 'none'] as const;

/** The official endpoint a kind uses when base_url is left empty. */
export const defaultEndpoints: Record<string, string> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
};

/** The server's defaults for timeouts left empty (internal/config). */
export const defaultTimeouts = { connect_timeout: '10s', first_token_timeout: '5m', idle_timeout: '2m' } as const;
export type TimeoutField = keyof typeof defaultTimeouts;
export const timeoutFields = Object.keys(defaultTimeouts) as TimeoutField[];

/** One provider as the Settings screen edits it: text fields, as typed. */
export interface ProviderForm {
  /** Stable identity in the list while names are edited. */
  uid: number;
  /** The provider as the server returned it; null for one added here. */
  original: ProviderConfig | null;
  name: string;
  kind: string;
  base_url: string;
  /** Model names separated by commas or new lines; empty: ask the server. */
  models: string;
  /** The vision switch as text: "llava, -llama3" (a leading minus: cannot see images). */
  vision: string;
  temperature: string;
  max_tokens: string;
  connect_timeout: string;
  first_token_timeout: string;
  idle_timeout: string;
  /** openai kind: one of continuationModes ("" = auto). */
  continuation: string;
  /** A key typed here: sent to the key endpoint on Save, then cleared. Never part of the config body. */
  key: string;
}

export interface SettingsForm {
  default_model: string;
  system_prompt: string;
  /** The theme and language chosen on this screen; what is not chosen keeps the file's value. */
  ui: { theme?: ThemeSetting; language?: LanguageSetting };
  providers: ProviderForm[];
}

export function providerForm(uid: number, p: ProviderConfig | null = null): ProviderForm {
  const num = (v: number | undefined) => (v === undefined || v === null ? '' : String(v));
  return {
    uid,
    original: p,
    name: p?.name ?? '',
    kind: p?.kind ?? 'openai',
    base_url: p?.base_url ?? '',
    models: (p?.models ?? []).join(', '),
    vision: formatVision(p?.vision),
    temperature: num(p?.params?.temperature),
    // 0 means the provider's default: shown as empty.
    max_tokens: p?.params?.max_tokens ? String(p.params.max_tokens) : '',
    connect_timeout: p?.connect_timeout ?? '',
    first_token_timeout: p?.first_token_timeout ?? '',
    idle_timeout: p?.idle_timeout ?? '',
    continuation: p?.continuation && p.continuation !== 'auto' ? p.continuation : '',
    key: '',
  };
}

/** The form for a configuration. */
export function toForm(config: Config, nextUid: () => number): SettingsForm {
  return {
    default_model: config.default_model,
    system_prompt: config.system_prompt,
    ui: {},
    providers: (config.providers ?? []).map((p) => providerForm(nextUid(), p)),
  };
}

/** "a, b\nc" → ["a", "b", "c"]: blanks dropped. */
export function splitModels(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((m) => m.trim())
    .filter(Boolean);
}

/** {"llava": true, "llama3": false} → "llava, -llama3" (sorted). */
export function formatVision(v: Record<string, boolean> | undefined): string {
  return Object.keys(v ?? {})
    .sort()
    .map((m) => (v![m] ? m : `-${m}`))
    .join(', ');
}

/** "llava, -llama3" → {"llava": true, "llama3": false}: a leading minus says the model cannot see images. */
export function parseVision(text: string): Record<string, boolean> {
  const out: Record<string, boolean> = {};
  for (const item of splitModels(text)) {
    if (item.startsWith('-')) {
      const m = item.slice(1).trim();
      if (m) out[m] = false;
    } else out[item] = true;
  }
  return out;
}

/** The path of a provider's field in problems: `providers[1].base_url`. */
export function providerField(index: number, field: string): string {
  return `providers[${index}].${field}`;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/**
 * The PUT /api/config body: the configuration as the server sent it, with
 * the form's edits. Fields left empty are left out, so the server uses its
 * default. No API key is ever part of it (keys go through the key
 * endpoint), even if the server had sent one. Numbers that are not numbers
 * come back as problems, keyed like the server's.
 */
export function toConfigBody(base: Config, form: SettingsForm, t: Translate): { body: Config; problems: Problem[] } {
  const problems: Problem[] = [];
  const body = clone(base);
  body.default_model = form.default_model.trim();
  body.system_prompt = form.system_prompt;
  body.ui = { ...body.ui, ...form.ui };
  body.providers = form.providers.map((f, i) => {
    const p: ProviderConfig & { api_key?: unknown } = f.original ? clone(f.original) : { name: '', kind: '' };
    delete p.api_key;
    p.name = f.name.trim();
    p.kind = f.kind;
    setOrDelete(p, 'base_url', f.base_url.trim());
    const models = splitModels(f.models);
    if (models.length) p.models = models;
    else delete p.models;
    const vision = parseVision(f.vision);
    if (Object.keys(vision).length) p.vision = vision;
    else delete p.vision;

    const params = { ...(p.params ?? {}) };
    const temperature = f.temperature.trim();
    if (!temperature) delete params.temperature;
    else if (Number.isFinite(Number(temperature))) params.temperature = Number(temperature);
    else problems.push({ key: providerField(i, 'params.temperature'), message: t('settings.notNumber') });
    const maxTokens = f.max_tokens.trim();
    if (!maxTokens) delete params.max_tokens;
    else if (Number.isInteger(Number(maxTokens))) params.max_tokens = Number(maxTokens);
    else problems.push({ key: providerField(i, 'params.max_tokens'), message: t('settings.notInteger') });
    p.params = params;

    for (const field of timeoutFields) setOrDelete(p, field, f[field].trim());
    if (f.kind === 'openai' && f.continuation) p.continuation = f.continuation;
    else delete p.continuation;
    return p;
  });
  return { body, problems };
}

function setOrDelete<K extends 'base_url' | TimeoutField>(p: ProviderConfig, k: K, v: string): void {
  if (v) p[k] = v;
  else delete p[k];
}

/** Whether two configurations say the same thing (key order and null lists aside). */
export function sameConfig(a: Config, b: Config): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x && typeof x === 'object' && !Array.isArray(x)) {
      return Object.fromEntries(
        Object.entries(x as Record<string, unknown>)
          .filter(([, y]) => y !== null && y !== undefined && !(Array.isArray(y) && y.length === 0))
          .filter(([, y]) => !(y && typeof y === 'object' && !Array.isArray(y) && Object.keys(y).length === 0))
          .sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0)),
      );
    }
    return x;
  });
}

/** Every field the form shows a problem next to. */
export function formFields(form: SettingsForm): string[] {
  const fields = ['default_model', 'system_prompt', 'ui.theme', 'ui.language'];
  form.providers.forEach((_, i) => {
    for (const f of ['name', 'kind', 'base_url', 'models', 'vision', 'continuation', 'params.temperature', 'params.max_tokens', ...timeoutFields]) {
      fields.push(providerField(i, f));
    }
  });
  return fields;
}
