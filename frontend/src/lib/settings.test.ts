import { describe, expect, it } from 'vitest';
import { Api } from './api';
import type { Config, KeyStatus, SettingsView } from './protocol';
import type { UiSettings } from './config.svelte';
import { englishMessages, format, type Translate } from './i18n.svelte';
import { SettingsEditor } from './settings.svelte';

const t: Translate = (k, vars) => format(englishMessages[k], vars);

interface Logged {
  method: string;
  path: string;
  body: unknown;
  raw: string;
}

/**
 * The Settings endpoints over an in-memory config.toml, with the server's
 * rules that matter here: a body with an api_key is refused, kinds and
 * base URLs are checked (422 with problems), a broken file refuses writes
 * (409), keys are stored by provider name and come back masked.
 */
class SettingsServer {
  config: Config = {
    default_model: 'demo/demo',
    system_prompt: '',
    server: { addr: '127.0.0.1:0', heartbeat: '15s' },
    ui: { theme: 'system', language: 'auto' },
    providers: [{ name: 'openai', kind: 'openai', params: {}, connect_timeout: '10s', first_token_timeout: '5m', idle_timeout: '2m' }],
  };
  keys: Record<string, string> = {};
  fileBroken = false;
  refuseKeys = false;
  readonly log: Logged[] = [];

  view(): SettingsView {
    const keys: Record<string, KeyStatus> = {};
    for (const p of this.config.providers ?? []) {
      const k = this.keys[p.name];
      keys[p.name] = k ? { has_key: true, source: 'file', hint: `sk-…${k.slice(-4)}`, warning: 'stored in config.toml because no keychain is available' } : { has_key: false };
    }
    return { config: structuredClone(this.config), error: null, warnings: [], keys, keychain: { available: false, warning: 'no keychain' } };
  }

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    const raw = init?.body ? String(init.body) : '';
    const body = raw ? JSON.parse(raw) : undefined;
    this.log.push({ method, path: url.pathname, body, raw });
    const json = (data: unknown, status = 200) => new Response(JSON.stringify(data), { status, headers: { 'content-type': 'application/json' } });
    const fail = (status: number, code: string, message: string, problems?: unknown[]) => json({ error: { code, message, problems } }, status);
    let m: RegExpMatchArray | null;
    if (url.pathname === '/api/config' && method === 'GET') return json(this.view());
    if (url.pathname === '/api/config' && method === 'PUT') {
      if (this.fileBroken) return fail(409, 'config_file_invalid', 'config.toml has errors', [{ line: 2, column: 7, message: 'invalid string' }]);
      if (raw.includes('"api_key"')) return fail(400, 'bad_request', 'providers[0].api_key: API keys cannot be set here');
      const problems = (body.providers ?? []).flatMap((p: { kind: string; base_url?: string }, i: number) => [
        ...(['openai', 'anthropic'].includes(p.kind) ? [] : [{ key: `providers[${i}].kind`, message: 'unknown provider kind' }]),
        ...(p.base_url && !/^https?:\/\//.test(p.base_url) ? [{ key: `providers[${i}].base_url`, message: 'base_url must start with http:// or https://' }] : []),
        ...(p.base_url === 'http://x/ref' ? [{ key: `providers[${i}].api_key_ref`, message: 'bad ref' }] : []),
      ]);
      if (problems.length) return fail(422, 'invalid_config', 'the configuration is not valid', problems);
      this.config = { ...this.config, ...body };
      return json(this.view());
    }
    if ((m = url.pathname.match(/^\/api\/providers\/([^/]+)\/key$/))) {
      const name = decodeURIComponent(m[1]);
      if (!(this.config.providers ?? []).some((p) => p.name === name)) return fail(404, 'not_found', `no such provider "${name}"`);
      if (method === 'DELETE') delete this.keys[name];
      else if (this.refuseKeys) return fail(503, 'key_not_saved', 'the keychain is locked');
      else this.keys[name] = body.key.trim();
      return json(this.view().keys![name]);
    }
    if (url.pathname === '/api/providers/discover') {
      return json({ servers: [{ name: 'ollama', kind: 'openai', base_url: 'http://127.0.0.1:11434/v1', models: ['llama3.2:3b'], configured: false }] });
    }
    return fail(404, 'not_found', url.pathname);
  };

  writes(): Logged[] {
    return this.log.filter((l) => l.method !== 'GET');
  }
}

function setup(prep: (s: SettingsServer) => void = () => {}) {
  const server = new SettingsServer();
  prep(server);
  const api = new Api(async () => ({ baseUrl: 'http://127.0.0.1:9', token: 't' }), server.fetch);
  let ui: UiSettings = { theme: 'light', language: 'en' };
  const uiSets: Partial<UiSettings>[] = [];
  const saved: SettingsView[] = [];
  let discovered = 0;
  const editor = new SettingsEditor({
    api,
    t,
    ui: {
      get: () => ui,
      set: (u) => {
        uiSets.push(u);
        ui = { ...ui, ...u };
      },
    },
    onSaved: (v) => saved.push(v),
    onDiscovered: () => discovered++,
  });
  return { server, editor, uiSets, saved, ui: () => ui, discovered: () => discovered };
}

const secret = 'sk-test-0123456789abcdefghijWXYZ';

describe('SettingsEditor', () => {
  it('loads the form', async () => {
    const { editor } = setup();
    await editor.load();
    expect(editor.form).toMatchObject({ default_model: 'demo/demo', ui: {} });
    expect(editor.form!.providers.map((p) => p.name)).toEqual(['openai']);
    expect(editor.view!.keychain.warning).toBe('no keychain');
  });

  it('keeps a language picked while the form is still loading, and saves it', async () => {
    const { server, editor, ui } = setup();
    const loading = editor.load();
    editor.setUi({ language: 'zh' }); // clicked before the GET answered
    await loading;
    expect(editor.form!.ui).toEqual({ language: 'zh' });
    expect(ui().language).toBe('zh');
    expect(await editor.save()).toBe(true);
    expect(server.writes()[0].body).toMatchObject({ ui: { language: 'zh' } });
    expect(editor.form!.ui).toEqual({});
  });

  it('forgets a pick made before Close, also across a reload of the form', async () => {
    const { server, editor } = setup();
    await editor.load();
    editor.setUi({ language: 'zh' });
    editor.close();
    await editor.load();
    expect(editor.form!.ui).toEqual({});
    expect(await editor.save()).toBe(true);
    expect(server.writes()).toEqual([]); // nothing was picked: nothing to write
    expect(server.config.ui.language).toBe('auto');
  });

  it('adds a provider and its key: config first without the key, then the key, then the field is cleared', async () => {
    const { server, editor, saved } = setup();
    await editor.load();
    const p = editor.addProvider()!;
    p.name = 'fake';
    p.base_url = 'http://127.0.0.1:5555/v1';
    p.key = `  ${secret} `;
    expect(await editor.save()).toBe(true);

    const writes = server.writes();
    expect(writes.map((w) => `${w.method} ${w.path}`)).toEqual(['PUT /api/config', 'PUT /api/providers/fake/key']);
    expect(writes[0].raw).not.toContain(secret);
    expect(writes[0].raw).not.toContain('api_key');
    expect(writes[0].body).toMatchObject({ providers: [{ name: 'openai' }, { name: 'fake', kind: 'openai', base_url: 'http://127.0.0.1:5555/v1' }] });
    expect(writes[1].body).toEqual({ key: secret }); // pasted with spaces around it
    expect(server.keys.fake).toBe(secret);

    const fake = editor.form!.providers.find((x) => x.name === 'fake')!;
    expect(fake.key).toBe('');
    expect(editor.keyOf(fake)).toMatchObject({ has_key: true, hint: 'sk-…WXYZ', warning: expect.stringContaining('no keychain') });
    expect(JSON.stringify(editor.form)).not.toContain(secret);
    expect(JSON.stringify(editor.view)).not.toContain(secret);
    expect(editor.saved).toBe(true);
    expect(saved).toHaveLength(1);
  });

  it('does not rewrite config.toml when only a key changed', async () => {
    const { server, editor } = setup();
    await editor.load();
    editor.form!.providers[0].key = secret;
    expect(await editor.save()).toBe(true);
    expect(server.writes().map((w) => `${w.method} ${w.path}`)).toEqual(['PUT /api/providers/openai/key']);
  });

  it('shows 422 problems next to their fields and the rest as a list; the file is untouched', async () => {
    const { server, editor, saved } = setup();
    await editor.load();
    const p = editor.addProvider()!;
    p.name = 'bad';
    p.base_url = 'ftp://example.com';
    p.key = secret;
    const q = editor.addProvider()!;
    q.name = 'odd';
    q.base_url = 'http://x/ref';
    expect(await editor.save()).toBe(false);
    expect(editor.problems).toEqual([
      { key: 'providers[1].base_url', message: 'base_url must start with http:// or https://' },
      { key: 'providers[2].api_key_ref', message: 'bad ref' },
    ]);
    expect(editor.fileInvalid).toBe(false);
    // Nothing was stored, the key included, and what was typed is still there.
    expect(server.writes().map((w) => w.path)).toEqual(['/api/config']);
    expect(server.config.providers).toHaveLength(1);
    expect(editor.form!.providers[1].key).toBe(secret);
    expect(saved).toEqual([]);

    editor.form!.providers[1].base_url = 'https://example.com/v1';
    editor.removeProvider(editor.form!.providers[2].uid);
    expect(await editor.save()).toBe(true);
    expect(editor.problems).toEqual([]);
    expect(server.keys.bad).toBe(secret);
  });

  it('checks numbers before sending anything', async () => {
    const { server, editor } = setup();
    await editor.load();
    editor.form!.providers[0].temperature = 'hot';
    expect(await editor.save()).toBe(false);
    expect(editor.problems).toEqual([{ key: 'providers[0].params.temperature', message: 'not a number' }]);
    expect(server.writes()).toEqual([]);
  });

  it('says so when config.toml itself is broken (409) and keeps the edits', async () => {
    const { editor } = setup((s) => (s.fileBroken = true));
    await editor.load();
    editor.form!.default_model = 'openai/gpt-4o';
    expect(await editor.save()).toBe(false);
    expect(editor.fileInvalid).toBe(true);
    expect(editor.problems).toEqual([{ line: 2, column: 7, message: 'invalid string' }]);
    expect(editor.form!.default_model).toBe('openai/gpt-4o');
  });

  it('keeps a key that could not be stored, with the reason', async () => {
    const { editor } = setup((s) => (s.refuseKeys = true));
    await editor.load();
    editor.form!.providers[0].key = secret;
    expect(await editor.save()).toBe(false);
    const p = editor.form!.providers[0];
    expect(p.key).toBe(secret);
    expect(editor.keyErrors[p.uid]).toBe('The key was not saved: the keychain is locked');
    expect(editor.saved).toBe(false);
  });

  it('removes a key', async () => {
    const { server, editor } = setup((s) => (s.keys.openai = secret));
    await editor.load();
    const p = editor.form!.providers[0];
    expect(editor.keyOf(p)?.has_key).toBe(true);
    await editor.removeKey(p);
    expect(server.keys.openai).toBeUndefined();
    expect(editor.keyOf(p)).toEqual({ has_key: false });
  });

  it('previews theme and language; Close undoes what was not saved, Save keeps it', async () => {
    const { editor, ui, server } = setup();
    await editor.load();
    editor.setUi({ theme: 'dark' });
    editor.setUi({ language: 'zh' });
    expect(ui()).toEqual({ theme: 'dark', language: 'zh' });
    editor.close();
    expect(ui()).toEqual({ theme: 'light', language: 'en' });

    editor.setUi({ theme: 'dark' });
    expect(await editor.save()).toBe(true);
    expect(server.config.ui).toEqual({ theme: 'dark', language: 'auto' }); // only what was chosen here
    editor.close();
    expect(ui()).toEqual({ theme: 'dark', language: 'en' });
  });

  it('finds local servers and asks for the models again', async () => {
    const { editor, discovered } = setup();
    await editor.discover();
    expect(editor.servers?.map((s) => s.name)).toEqual(['ollama']);
    expect(discovered()).toBe(1);
  });

  it('follows a change made elsewhere while untouched; with edits it warns instead of losing either', async () => {
    const { server, editor } = setup();
    await editor.load();
    server.config = { ...server.config, default_model: 'openai/gpt-4o' }; // a hand edit
    await editor.external(structuredClone(server.config));
    expect(editor.form!.default_model).toBe('openai/gpt-4o');
    expect(editor.stale).toBe(false);

    editor.form!.system_prompt = 'typed here';
    server.config = { ...server.config, default_model: 'openai/o3' };
    await editor.external(structuredClone(server.config));
    expect(editor.stale).toBe(true);
    expect(editor.form!.system_prompt).toBe('typed here'); // the edits stay
    expect(editor.form!.default_model).toBe('openai/gpt-4o');

    await editor.reload();
    expect(editor.stale).toBe(false);
    expect(editor.form).toMatchObject({ default_model: 'openai/o3', system_prompt: '' });
  });

  it('takes its own save for what it is, not for a change from elsewhere', async () => {
    const { editor } = setup();
    await editor.load();
    editor.form!.system_prompt = 'mine';
    expect(await editor.save()).toBe(true);
    editor.form!.default_model = 'openai/next'; // editing on after saving
    await editor.external(structuredClone(editor.view!.config)); // the config.changed of that save
    expect(editor.stale).toBe(false);
    expect(editor.form!.default_model).toBe('openai/next');
  });
});
