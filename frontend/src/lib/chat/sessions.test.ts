import { describe, expect, it } from 'vitest';
import type { Api } from '../api';
import type { SearchResult, Session, SessionPage } from '../protocol';
import { SessionSearch } from './search.svelte';
import { SessionList } from './sessions.svelte';

const session = (id: string, at: string, over: Partial<Session> = {}): Session => ({
  id,
  title: `chat ${id}`,
  model: 'demo/demo',
  created_at: at,
  updated_at: at,
  last_activity_at: at,
  message_count: 0,
  ...over,
});
const hour = (h: number) => `2026-11-22T${String(h).padStart(2, '0')}:00:00Z`;

/** A server with `all` chats (in its order) that pages them `size` at a time. */
function setup(all: Session[], size = 2) {
  const errors: string[] = [];
  const calls: string[] = [];
  const onError = (what: string, err: unknown) => errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  const page = (list: Session[], cursor?: string): SessionPage => {
    const from = cursor ? Number(cursor) : 0;
    return { sessions: list.slice(from, from + size), next_cursor: from + size < list.length ? String(from + size) : null };
  };
  let searchAnswer: SearchResult = { query: '', titles: [], groups: [], next_cursor: null, partial: false };
  const api = {
    listSessions: async (o: { cursor?: string; archived?: boolean } = {}) => {
      calls.push(`list ${o.archived ? 'archived ' : ''}${o.cursor ?? 'first'}`);
      const list = all.filter((s) => !!s.archived === !!o.archived);
      return { data: page(list, o.cursor), head: null };
    },
    updateSession: async (id: string, body: Partial<Session>) => {
      const i = all.findIndex((s) => s.id === id);
      all[i] = { ...all[i], ...body, updated_at: '2026-11-22T23:00:00Z' };
      return { data: all[i], head: null };
    },
    deleteSession: async () => ({ data: undefined, head: null }),
    search: async () => ({ data: searchAnswer, head: null }),
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
  const first = async () => list.replace((await api.listSessions({})).data);
  return { list, search, dropped, errors, calls, first, answer: (r: SearchResult) => (searchAnswer = r) };
}

const ids = (l: readonly Session[]) => l.map((s) => s.id).join(' ');

describe('SessionList', () => {
  it('pages in the server’s order, pinned first, and loads each page once', async () => {
    const h = setup([session('p', hour(1), { pinned: true }), session('d', hour(9)), session('c', hour(8)), session('b', hour(7)), session('a', hour(6))]);
    expect(h.list.ready).toBe(false);
    await h.first();
    expect(h.list.ready).toBe(true);
    expect(ids(h.list.list)).toBe('p d');
    await Promise.all([h.list.loadMore(), h.list.loadMore()]); // a second call while one is in flight waits for it
    expect(ids(h.list.list)).toBe('p d c b');
    await h.list.loadMore();
    expect(ids(h.list.list)).toBe('p d c b a');
    expect(h.list.complete).toBe(true);
    await h.list.loadMore();
    expect(h.calls).toEqual(['list first', 'list 2', 'list 4']);
  });

  it('moves a chat with new activity to the top, leaves a stale replay alone, and leaves unloaded chats to their page', async () => {
    const h = setup([session('d', hour(9)), session('c', hour(8)), session('b', hour(7)), session('a', hour(6))]);
    await h.first();
    h.list.upsert(session('c', hour(10), { title: 'busy' }));
    expect(ids(h.list.list)).toBe('c d');
    h.list.upsert(session('c', hour(3), { title: 'old copy' }));
    expect(h.list.find('c')?.title).toBe('busy');
    // 'a' is older than the last loaded chat: it comes with its page, not now.
    h.list.upsert(session('a', hour(6), { updated_at: hour(11), title: 'renamed' }));
    expect(ids(h.list.list)).toBe('c d');
    expect(h.list.find('a')?.title).toBe('renamed'); // still known (the header of an open chat needs it)
    // A new chat goes to the top.
    h.list.upsert(session('e', hour(12)));
    expect(ids(h.list.list)).toBe('e c d');
  });

  it('pins, archives and restores, keeping the lists apart', async () => {
    const h = setup([session('c', hour(8)), session('b', hour(7)), session('a', hour(6), { archived: true })]);
    await h.first();
    await h.list.setPinned('b', true);
    expect(ids(h.list.list)).toBe('b c');
    expect(h.list.list[0].pinned).toBe(true);
    await h.list.loadArchived();
    expect(ids(h.list.archived!)).toBe('a');
    await h.list.setArchived('c', true);
    expect(ids(h.list.list)).toBe('b');
    expect(ids(h.list.archived!)).toBe('c a');
    await h.list.setArchived('a', false);
    expect(ids(h.list.archived!)).toBe('c');
    expect(ids(h.list.list)).toBe('b a');
    expect(h.errors).toEqual([]);
  });

  it('marks an empty chat used once, without touching others', async () => {
    const h = setup([session('b', hour(11), { message_count: 4 }), session('a', hour(10))], 10);
    await h.first();
    h.list.markUsed('a');
    h.list.markUsed('b');
    h.list.markUsed('gone');
    expect(h.list.list.map((s) => `${s.id}:${s.message_count}`)).toEqual(['b:4', 'a:1']);
  });
});

describe('SessionSearch', () => {
  const seg = (text: string, match = false) => ({ text, match });
  const hit = (session_id: string, message_id: string) => ({ session_id, message_id, role: 'user' as const, created_at: hour(1), snippet: [seg('x'), seg('zebra', true)] });

  it('groups hits by chat, merges later pages, follows renames and deletions', async () => {
    const a = session('a', hour(1));
    const b = session('b', hour(2));
    const h = setup([a, b], 10);
    await h.first();
    h.answer({ query: 'zebra', titles: [{ session: a, title: [seg('zebra', true)] }], groups: [{ session: a, hits: [hit('a', 'm1')] }], next_cursor: 'c1', partial: false });
    await h.search.search(' zebra ');
    expect(h.search.query).toBe('zebra');
    expect(h.search.groups.map((g) => `${g.session.id}:${g.hits.length}`)).toEqual(['a:1']);
    h.answer({ query: 'zebra', titles: null, groups: [{ session: a, hits: [hit('a', 'm1'), hit('a', 'm2')] }, { session: b, hits: [hit('b', 'm3')] }], next_cursor: null, partial: false });
    await h.search.more();
    expect(h.search.groups.map((g) => `${g.session.id}:${g.hits.map((x) => x.message_id).join(',')}`)).toEqual(['a:m1,m2', 'b:m3']);
    expect(h.search.hasMore).toBe(false);

    await h.list.rename('a', '  Renamed  ');
    expect(h.search.groups[0].session.title).toBe('Renamed');
    expect(h.search.titles[0].session.title).toBe('Renamed');
    await h.list.remove('b');
    expect(h.search.groups.map((g) => g.session.id)).toEqual(['a']);
    expect(h.dropped).toEqual(['b']);

    await h.search.search('  ');
    expect(h.search.active).toBe(false);
    expect(h.search.groups).toEqual([]);
    expect(h.errors).toEqual([]);
  });

  it('a page that stopped at the bound says so until the older messages are searched', async () => {
    const a = session('a', hour(1));
    const h = setup([a], 10);
    h.answer({ query: '猫', titles: [], groups: [], next_cursor: 'older', partial: true });
    await h.search.search('猫');
    expect(h.search.partial).toBe(true);
    expect(h.search.groups).toEqual([]);
    h.answer({ query: '猫', titles: null, groups: [{ session: a, hits: [hit('a', 'm9')] }], next_cursor: null, partial: true });
    await h.search.more();
    expect(h.search.groups.map((g) => g.session.id)).toEqual(['a']);
    expect(h.search.partial).toBe(false); // nothing older is left
    h.answer({ query: 'x', titles: [], groups: [], next_cursor: 'c', partial: true });
    await h.search.search('x');
    expect(h.search.partial).toBe(true);
    await h.search.search('');
    expect(h.search.partial).toBe(false);
    expect(h.errors).toEqual([]);
  });

  it('says imported chats are still being indexed while the server says so, and not after', async () => {
    const a = session('a', hour(1));
    const h = setup([a], 10);
    h.answer({ query: 'zebra', titles: [], groups: [{ session: a, hits: [hit('a', 'm1')] }], next_cursor: 'c1', partial: false, indexing: 4200 });
    await h.search.search('zebra');
    expect(h.search.indexing).toBe(4200);
    h.answer({ query: 'zebra', titles: null, groups: [], next_cursor: null, partial: false, indexing: 0 });
    await h.search.more();
    expect(h.search.indexing).toBe(0);
    h.answer({ query: 'zebra', titles: [], groups: [], next_cursor: null, partial: false }); // an older server: no field
    await h.search.search('zebra');
    expect(h.search.indexing).toBe(0);
    h.answer({ query: 'x', titles: [], groups: [], next_cursor: null, partial: false, indexing: 7 });
    await h.search.search('x');
    expect(h.search.indexing).toBe(7);
    await h.search.search('');
    expect(h.search.indexing).toBe(0);
    expect(h.errors).toEqual([]);
  });
});
