import { describe, expect, it } from 'vitest';
import type { Api } from '../api';
import type { Session } from '../protocol';
import { SessionSearch } from './search.svelte';
import { SessionList } from './sessions.svelte';

const session = (id: string, updated_at: string, over: Partial<Session> = {}): Session => ({
  id,
  title: `chat ${id}`,
  model: 'demo/demo',
  created_at: updated_at,
  updated_at,
  message_count: 0,
  ...over,
});

function setup(found: Session[]) {
  const errors: string[] = [];
  const onError = (what: string, err: unknown) => errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  const api = {
    listSessions: async () => ({ data: { sessions: found }, head: null }),
    updateSession: async (id: string, body: Partial<Session>) => ({ data: session(id, '2026-11-22T15:00:00Z', body), head: null }),
    deleteSession: async () => ({ data: undefined, head: null }),
  } as unknown as Api;
  const dropped: string[] = [];
  const search = new SessionSearch({ api, onError });
  const list = new SessionList({
    api,
    onError,
    onUpdated: (s) => search.update(s),
    onDropped: (id) => {
      dropped.push(id);
      search.forget(id);
    },
  });
  return { list, search, dropped, errors };
}

describe('SessionList and SessionSearch', () => {
  it('sorts newest first, ignores stale replays, and the search follows renames and deletions', async () => {
    const a = session('a', '2026-11-22T10:00:00Z');
    const b = session('b', '2026-11-22T11:00:00Z');
    const h = setup([a, b]);
    expect(h.list.ready).toBe(false);
    h.list.replace([a, b]);
    expect(h.list.ready).toBe(true);
    expect(h.list.list.map((s) => s.id)).toEqual(['b', 'a']);

    h.list.upsert(session('b', '2026-11-22T09:00:00Z', { title: 'old' })); // older than shown
    expect(h.list.find('b')?.title).toBe('chat b');

    await h.search.search('chat');
    expect(h.search.results?.map((s) => s.id)).toEqual(['a', 'b']);
    await h.list.rename('a', '  Renamed  ');
    expect(h.list.list.map((s) => `${s.id}:${s.title}`)).toEqual(['a:Renamed', 'b:chat b']);
    expect(h.search.results?.map((s) => s.title)).toEqual(['Renamed', 'chat b']);

    h.list.drop('b'); // what a delivered Delete does (the outbox delivers it)
    expect(h.list.list.map((s) => s.id)).toEqual(['a']);
    expect(h.search.results?.map((s) => s.id)).toEqual(['a']);
    expect(h.dropped).toEqual(['b']);

    await h.search.search('  ');
    expect(h.search.results).toBeNull();
    expect(h.errors).toEqual([]);
  });

  it('marks an empty chat used once, without touching others', () => {
    const h = setup([]);
    h.list.replace([session('a', '2026-11-22T10:00:00Z'), session('b', '2026-11-22T11:00:00Z', { message_count: 4 })]);
    h.list.markUsed('a');
    h.list.markUsed('b');
    h.list.markUsed('gone');
    expect(h.list.list.map((s) => `${s.id}:${s.message_count}`)).toEqual(['b:4', 'a:1']);
  });
});
