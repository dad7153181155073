import { describe, expect, it } from 'vitest';
import type { Config, SettingsView } from './protocol';
import { ConfigState, type UiSettings } from './config.svelte';

class MemoryStorage {
  readonly data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

const config = (ui: Partial<UiSettings> = {}): Config => ({
  default_model: 'demo/demo',
  system_prompt: '',
  server: { addr: '127.0.0.1:0', heartbeat: '15s' },
  ui: { theme: 'system', language: 'auto', ...ui },
  providers: null,
});
const view = (over: Partial<SettingsView> = {}): SettingsView => ({
  config: config(),
  error: null,
  warnings: null,
  keys: {},
  keychain: { available: false },
  ...over,
});
const broken = { file: '/data/config.toml', problems: [{ line: 3, column: 9, message: 'expected a value' }] };

function setup(load: () => Promise<SettingsView> = async () => view(), storage = new MemoryStorage()) {
  const applied: Partial<UiSettings>[] = [];
  let changes = 0;
  const state = new ConfigState({ load, storage, onUi: (ui) => applied.push(ui), onChanged: () => changes++ });
  return { state, applied, storage, changes: () => changes };
}

describe('ConfigState', () => {
  it('shows config.error in the banner until dismissed; the next error shows again', () => {
    const { state } = setup();
    expect(state.banner).toBeNull();
    state.failed(broken);
    expect(state.banner).toEqual(broken);
    state.dismiss();
    expect(state.banner).toBeNull();
    expect(state.error).toEqual(broken); // still known, only hidden
    const again = { ...broken, problems: [{ line: 4, column: 1, message: 'other' }] };
    state.failed(again);
    expect(state.banner).toEqual(again);
  });

  it('clears the error on config.changed and reports the change', () => {
    const { state, changes } = setup();
    state.failed(broken);
    state.changed({ config: config(), warnings: [{ key: 'x', message: 'unknown key' }] });
    expect(state.banner).toBeNull();
    expect(state.error).toBeNull();
    expect(state.warnings).toEqual([{ key: 'x', message: 'unknown key' }]);
    expect(changes()).toBe(1);
  });

  it('applies the theme and language only when the file changes them', () => {
    const storage = new MemoryStorage();
    const first = setup(undefined, storage);
    first.state.changed({ config: config(), warnings: null });
    expect(first.applied).toEqual([{ theme: 'system', language: 'auto' }]); // first sight
    first.state.changed({ config: config(), warnings: null });
    expect(first.applied).toHaveLength(1); // same file: the window's own choice stays
    first.state.changed({ config: config({ theme: 'dark' }), warnings: null });
    expect(first.applied.at(-1)).toEqual({ theme: 'dark' });
    first.state.changed({ config: config({ theme: 'dark', language: 'zh' }), warnings: null });
    expect(first.applied.at(-1)).toEqual({ language: 'zh' });

    // A later window remembers what was seen: nothing to apply for the same file.
    const later = setup(undefined, storage);
    later.state.changed({ config: config({ theme: 'dark', language: 'zh' }), warnings: null });
    expect(later.applied).toEqual([]);
  });

  it('ignores values it does not know', () => {
    const { state, applied } = setup();
    state.changed({ config: config({ theme: 'neon' as UiSettings['theme'], language: 'fr' as UiSettings['language'] }), warnings: null });
    expect(applied).toEqual([]);
  });

  it('loads the error from the snapshot; a dismissed one stays dismissed', async () => {
    let answer = view({ error: broken });
    const { state } = setup(async () => answer);
    await state.load();
    expect(state.banner).toEqual(broken);
    state.dismiss();
    await state.load();
    expect(state.banner).toBeNull();
    answer = view({ error: { ...broken, problems: [{ line: 1, column: 1, message: 'new' }] } });
    await state.load();
    expect(state.banner?.problems[0].message).toBe('new');
  });

  it('does not let a snapshot read before an event undo the event', async () => {
    let release!: (v: SettingsView) => void;
    const { state } = setup(() => new Promise((r) => (release = r)));
    const loading = state.load();
    state.changed({ config: config({ theme: 'light' }), warnings: null }); // the file was fixed meanwhile
    release(view({ error: broken, config: config() }));
    await loading;
    expect(state.error).toBeNull();
    expect(state.config?.ui.theme).toBe('light');
  });

  it('takes a save’s answer as the state in force', () => {
    const { state, applied, changes } = setup();
    state.failed(broken);
    state.saved(view({ config: config({ language: 'en' }) }));
    expect(state.banner).toBeNull();
    expect(applied.at(-1)).toEqual({ theme: 'system', language: 'en' });
    expect(changes()).toBe(1);
  });

  it('survives a failed snapshot', async () => {
    const { state } = setup(async () => {
      throw new TypeError('Failed to fetch');
    });
    await state.load();
    expect(state.config).toBeNull();
    expect(state.banner).toBeNull();
  });
});
