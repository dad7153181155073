import { describe, expect, it } from 'vitest';
import type { ModelList } from '../protocol';
import { Models } from './models.svelte';

function models(list: ModelList) {
  const storage = new Map<string, string>();
  return new Models({
    api: {
      models: async () => ({ data: list, head: null }),
      health: async () => ({ data: { ok: true, version: 'test', epoch: 'e', head: 'e:0' }, head: null }),
    },
    storage: { getItem: (k) => storage.get(k) ?? null, setItem: (k, v) => void storage.set(k, v) },
  });
}

describe('Models', () => {
  it('groups models by provider, keeping unreachable providers with what they have', async () => {
    const m = models({
      default: 'demo/demo',
      models: [
        { id: 'demo/demo', provider: 'demo', model: 'demo', label: 'Demo', demo: true },
        { id: 'llama/tiny', provider: 'llama', model: 'tiny', label: 'tiny' },
        { id: 'gone/kept', provider: 'gone', model: 'kept', label: 'kept' },
      ],
      providers: [
        { name: 'demo', kind: 'demo', reachable: true },
        { name: 'llama', kind: 'openai', reachable: true },
        { name: 'gone', kind: 'openai', reachable: false, error: 'connection refused' },
        { name: 'bare', kind: 'openai', reachable: false, error: 'connection refused' },
      ],
    });
    await m.load();
    expect(m.groups.map((g) => [g.provider.name, g.provider.reachable, g.models.map((x) => x.id)])).toEqual([
      ['demo', true, ['demo/demo']],
      ['llama', true, ['llama/tiny']],
      ['gone', false, ['gone/kept']],
      ['bare', false, []],
    ]);
  });

  it('still groups the models of a server that lists no providers', async () => {
    const m = models({ default: 'demo/demo', models: [{ id: 'demo/demo', provider: 'demo', model: 'demo', label: 'Demo' }] } as ModelList);
    await m.load();
    expect(m.groups.map((g) => g.provider.name)).toEqual(['demo']);
  });
});
