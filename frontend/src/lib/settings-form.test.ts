import { describe, expect, it } from 'vitest';
import type { Config } from './protocol';
import { englishMessages, format, type Translate } from './i18n.svelte';
import { formFields, providerForm, sameConfig, splitModels, toConfigBody, toForm } from './settings-form';

const t: Translate = (k, vars) => format(englishMessages[k], vars);

/** A configuration as GET /api/config returns it. */
const served = (): Config => ({
  default_model: 'openai/gpt-4o-mini',
  system_prompt: 'Be brief.',
  server: { addr: '127.0.0.1:0', heartbeat: '15s' },
  ui: { theme: 'system', language: 'auto' },
  providers: [
    {
      name: 'openai',
      kind: 'openai',
      api_key_ref: 'keyring',
      models: ['gpt-4o', 'gpt-4o-mini'],
      params: { temperature: 0.7 },
      connect_timeout: '10s',
      first_token_timeout: '5m',
      idle_timeout: '2m',
    },
    { name: 'local', kind: 'openai', base_url: 'http://127.0.0.1:8080/v1', params: {}, connect_timeout: '10s', first_token_timeout: '5m', idle_timeout: '2m' },
  ],
});

let uid = 0;
const next = () => ++uid;

describe('settings form', () => {
  it('sends the configuration back unchanged when nothing was edited', () => {
    const base = served();
    const { body, problems } = toConfigBody(base, toForm(base, next), t);
    expect(problems).toEqual([]);
    expect(body).toEqual(base);
    expect(sameConfig(body, base)).toBe(true);
  });

  it('applies edits and leaves empty fields out so the server uses its defaults', () => {
    const base = served();
    const form = toForm(base, next);
    form.ui = { theme: 'dark' };
    form.default_model = '  local/qwen ';
    form.providers[0].models = 'gpt-4o,\n  o3-mini , ,';
    form.providers[0].temperature = '';
    form.providers[0].max_tokens = '2048';
    form.providers[0].idle_timeout = '';
    form.providers[1].base_url = ' ';
    const { body, problems } = toConfigBody(base, form, t);
    expect(problems).toEqual([]);
    expect(body.default_model).toBe('local/qwen');
    expect(body.ui).toEqual({ theme: 'dark', language: 'auto' }); // the language was not chosen here
    expect(body.server).toEqual(base.server); // not edited here, sent back as it was
    expect(body.providers![0]).toEqual({
      name: 'openai',
      kind: 'openai',
      api_key_ref: 'keyring', // kept: the server keeps the key with the provider
      models: ['gpt-4o', 'o3-mini'],
      params: { max_tokens: 2048 },
      connect_timeout: '10s',
      first_token_timeout: '5m',
    });
    expect(body.providers![1]).not.toHaveProperty('base_url');
    expect(sameConfig(body, base)).toBe(false);
  });

  it('adds and removes providers; a new one has only what was typed', () => {
    const base = served();
    const form = toForm(base, next);
    form.providers.splice(1, 1);
    const added = providerForm(next());
    Object.assign(added, { name: 'claude', kind: 'anthropic', models: 'claude-haiku-4-5', key: 'sk-ant-secret-value-1234567890' });
    form.providers.push(added);
    const { body } = toConfigBody(base, form, t);
    expect(body.providers!.map((p) => p.name)).toEqual(['openai', 'claude']);
    expect(body.providers![1]).toEqual({ name: 'claude', kind: 'anthropic', models: ['claude-haiku-4-5'], params: {} });
  });

  it('never puts an API key in the body, typed or sent by the server', () => {
    const base = served();
    (base.providers![0] as unknown as Record<string, unknown>).api_key = 'sk-…abcd';
    const form = toForm(base, next);
    form.providers[0].key = 'sk-live-0123456789abcdefghijklmnop';
    const { body } = toConfigBody(base, form, t);
    const text = JSON.stringify(body);
    expect(text).not.toContain('api_key"');
    expect(text).not.toContain('sk-live');
    expect(text).not.toContain('sk-…abcd');
  });

  it('reports numbers that are not numbers with the key the server would use', () => {
    const base = served();
    const form = toForm(base, next);
    form.providers[1].temperature = 'warm';
    form.providers[1].max_tokens = '10.5';
    expect(toConfigBody(base, form, t).problems).toEqual([
      { key: 'providers[1].params.temperature', message: 'not a number' },
      { key: 'providers[1].params.max_tokens', message: 'not a whole number' },
    ]);
  });

  it('shows an unset max_tokens (0) and a temperature of 0 as they mean', () => {
    const p = providerForm(1, { name: 'x', kind: 'openai', params: { temperature: 0, max_tokens: 0 } });
    expect(p.temperature).toBe('0');
    expect(p.max_tokens).toBe('');
  });

  it('treats null and empty lists alike when comparing', () => {
    const a = { ...served(), providers: null };
    const b = { ...served(), providers: [] };
    expect(sameConfig(a, b)).toBe(true);
  });

  it.each([
    ['a, b', ['a', 'b']],
    ['a\nb,,c ', ['a', 'b', 'c']],
    ['  ', []],
    ['meta-llama/llama-3-8b', ['meta-llama/llama-3-8b']],
  ])('splits models %j', (text, want) => {
    expect(splitModels(text)).toEqual(want);
  });

  it('lists a path for every field it shows', () => {
    const fields = formFields(toForm(served(), next));
    expect(fields).toContain('default_model');
    expect(fields).toContain('providers[1].base_url');
    expect(fields).toContain('providers[0].params.temperature');
    expect(fields).toContain('providers[1].idle_timeout');
    expect(fields).not.toContain('providers[2].name');
  });
});

describe('the vision switch', () => {
  it('reads and writes "llava, -llama3" as per-model switches', async () => {
    const { formatVision, parseVision } = await import('./settings-form');
    expect(parseVision('llava:7b, -llama3.2\n gpt-4o ,-')).toEqual({ 'llava:7b': true, 'llama3.2': false, 'gpt-4o': true });
    expect(formatVision({ 'llama3.2': false, 'llava:7b': true })).toBe('-llama3.2, llava:7b');
    expect(parseVision(formatVision({ a: true, b: false }))).toEqual({ a: true, b: false });
    expect(parseVision('  ')).toEqual({});
  });
});
