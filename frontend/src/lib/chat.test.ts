import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatStore, type ChatStoreOptions } from './chat.svelte';
import type { FileStore, KeptFile } from './attachments/filestore';
import type { Config, Message, Session } from './protocol';
import type { UiSettings } from './config.svelte';
import { FakeServer, type SseHandle } from './stream/fake-server.test-helper';

class MemoryStorage {
  readonly data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
  removeItem(k: string) {
    this.data.delete(k);
  }
}

const T = '2026-11-22T10:00:00.000Z';
const session = (id: string, over: Partial<Session> = {}): Session => ({
  id,
  title: `chat ${id}`,
  model: 'demo/demo',
  created_at: T,
  updated_at: T,
  message_count: 0,
  ...over,
});
const msg = (id: string, over: Partial<Message> = {}): Message => ({
  id,
  session_id: 's1',
  role: 'assistant',
  content: '',
  status: 'streaming',
  chunks: 0,
  created_at: T,
  updated_at: T,
  ...over,
});
const config = (ui: Partial<UiSettings> = {}): Config => ({
  default_model: 'demo/demo',
  system_prompt: '',
  server: { addr: '127.0.0.1:0', heartbeat: '15s' },
  ui: { theme: 'system', language: 'auto', ...ui },
  providers: null,
});
const delta = (index: number, text: string, message_id = 'm2', session_id = 's1') => ({ message_id, session_id, index, text });

/**
 * REST answers from an in-memory model; the event stream from FakeServer.
 * Every call is logged so tests can assert what was (not) requested.
 */
class Backend {
  readonly sse = new FakeServer();
  sessions: Session[] = [];
  messages: Record<string, Message[]> = {};
  head = 'E1:10';
  messagesHead = 'E1:10';
  up = true;
  readonly calls: string[] = [];
  readonly posted: { sessionId: string; body: { content: string; client_id: string } }[] = [];
  /** Names of the files uploaded, in order. */
  readonly uploads: string[] = [];
  /** When set, GET messages waits for this promise (to test events arriving mid-load). */
  gate: Promise<void> | null = null;
  models = [{ id: 'demo/demo', provider: 'demo', model: 'demo', label: 'Demo', demo: true }];
  configError: { file: string; problems: { line?: number; column?: number; message: string }[] } | null = null;
  /** Message controls and chat deletions that reached the server, in order. */
  readonly controls: string[] = [];
  /** Answers of POST /continue: a JSON error to send, or null to continue. */
  continueError: { status: number; code: string; message: string } | null = null;

  /** The chat's path now shows `added` from where `old` was (a new version of it). */
  showInstead(old: Message, added: Message[]) {
    for (const [sid, list] of Object.entries(this.messages)) {
      const at = list.findIndex((x) => x.id === old.id);
      if (at >= 0) this.messages[sid] = [...list.slice(0, at), ...added.map((x) => ({ ...x, session_id: sid }))];
    }
  }

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    if (url.pathname === '/api/events') return this.sse.fetch(input, init);
    this.calls.push(`${method} ${url.pathname}${url.search}`);
    if (!this.up) throw new TypeError('Failed to fetch');
    const json = (data: unknown, status = 200, head?: string) =>
      new Response(JSON.stringify(data), {
        status,
        headers: { 'content-type': 'application/json', ...(head ? { 'X-Event-Head': head } : {}) },
      });
    let m: RegExpMatchArray | null;
    if (url.pathname === '/api/sessions' && method === 'GET') return json({ sessions: this.sessions }, 200, this.head);
    if (url.pathname === '/api/models') return json({ models: this.models, default: 'demo/demo' });
    if (url.pathname === '/api/config') return json({ config: config(), error: this.configError, warnings: [], keys: {}, keychain: { available: true } });
    if ((m = url.pathname.match(/^\/api\/messages\/([^/]+)\/continue$/))) {
      const e = this.continueError;
      if (e) return json({ error: { code: e.code, message: e.message } }, e.status);
      return json(msg(m[1], { status: 'streaming' }));
    }
    if ((m = url.pathname.match(/^\/api\/messages\/([^/]+)\/regenerate$/))) {
      const old = Object.values(this.messages).flat().find((x) => x.id === m![1]);
      const again = msg(`${m[1]}_again`, { status: 'streaming', parent_id: old?.parent_id ?? null, siblings: [m[1], `${m[1]}_again`], sibling_index: 1 });
      if (old) this.showInstead(old, [again]);
      return json(again, 201);
    }
    if ((m = url.pathname.match(/^\/api\/messages\/([^/]+)\/(stop|edit)$/))) {
      this.controls.push(`${m[2]} ${m[1]}`);
      const found = Object.values(this.messages).flat().find((x) => x.id === m![1]);
      if (!found) return json({ error: { code: 'not_found', message: 'no such message' } }, 404);
      if (m[2] === 'stop') {
        if (found.status !== 'streaming' && found.status !== 'queued' && found.status !== 'stopped') {
          return json({ error: { code: 'conflict', message: `message is ${found.status}` } }, 409);
        }
        found.status = 'stopped';
        return json({ ...found });
      }
      const body = JSON.parse(String(init?.body));
      // New ids sort after every older one, like the server's.
      const user = msg(`n1_${m[1]}_edited`, { role: 'user', content: body.content, status: 'complete', client_id: body.client_id });
      const assistant = msg(`n2_${m[1]}_answer`);
      this.showInstead(found, [user, assistant]);
      return json({ user, assistant }, 201);
    }
    if ((m = url.pathname.match(/^\/api\/sessions\/([^/]+)$/)) && method === 'DELETE') {
      this.controls.push(`delete ${m[1]}`);
      if (!this.sessions.some((x) => x.id === m![1])) return json({ error: { code: 'not_found', message: 'no such chat' } }, 404);
      this.sessions = this.sessions.filter((x) => x.id !== m![1]);
      return new Response(null, { status: 204 });
    }
    if (url.pathname === '/api/attachments' && method === 'POST') {
      const bytes = new Uint8Array(await (init?.body as Blob).arrayBuffer());
      const name = url.searchParams.get('name') ?? '';
      this.uploads.push(name);
      return json({ id: `sha-${bytes.length}`, name, size: bytes.length, mime: 'image/png', kind: 'image' }, 201);
    }
    if (url.pathname === '/api/health') return json({ ok: true, version: 'test', epoch: 'E1', head: this.head });
    if ((m = url.pathname.match(/^\/api\/sessions\/([^/]+)\/messages$/))) {
      const id = m[1];
      if (method === 'GET') {
        if (this.gate) await this.gate;
        const all = this.messages[id];
        if (!all) return json({ error: { code: 'not_found', message: 'no such session' } }, 404);
        return json({ messages: all, has_more: false }, 200, this.messagesHead);
      }
      const body = JSON.parse(String(init?.body));
      this.posted.push({ sessionId: id, body });
      const user = msg(`m_${body.client_id}_1`, { session_id: id, role: 'user', content: body.content, status: 'complete', client_id: body.client_id });
      const assistant = msg(`m_${body.client_id}_2`, { session_id: id });
      return json({ user, assistant }, 201);
    }
    return json({ error: { code: 'not_found', message: url.pathname } }, 404);
  };
}

async function settle() {
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 20; j++) await Promise.resolve();
    await vi.advanceTimersByTimeAsync(0);
  }
}

interface Harness {
  store: ChatStore;
  errors: string[];
  uiApplied: Partial<UiSettings>[];
  backend: Backend;
  frames: (() => void)[];
  storage: MemoryStorage;
  runFrame(): void;
  live(): Promise<SseHandle>;
}

let stores: ChatStore[] = [];

function setup(prep: (b: Backend, s: MemoryStorage) => void = () => {}, extra: Partial<ChatStoreOptions> = {}): Harness {
  const backend = new Backend();
  const storage = new MemoryStorage();
  prep(backend, storage);
  const frames: (() => void)[] = [];
  const errors: string[] = [];
  const uiApplied: Partial<UiSettings>[] = [];
  let n = 0;
  const store = new ChatStore({
    resolve: async () => ({ baseUrl: 'http://127.0.0.1:9', token: 't' }),
    storage,
    fetch: backend.fetch,
    frame: (cb) => frames.push(cb),
    newId: () => `cid${++n}`,
    onError: (what, err) => errors.push(`${what}: ${err instanceof Error ? err.message : String(err)}`),
    onConfigUi: (ui) => uiApplied.push(ui),
    stream: { env: { window: new EventTarget(), document: null, navigator: { onLine: true } }, random: () => 0.5 },
    ...extra,
  });
  stores.push(store);
  return {
    store,
    errors,
    uiApplied,
    backend,
    frames,
    storage,
    runFrame() {
      const fs = frames.splice(0);
      for (const f of fs) f();
    },
    async live() {
      await settle();
      const sse = backend.sse.streams.at(-1)!.openStream();
      sse.hello({ epoch: 'E1', seq: 10 });
      await settle();
      expect(store.connection.status.state).toBe('live');
      return sse;
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers();
  stores = [];
});
afterEach(() => {
  for (const s of stores) s.close();
  vi.useRealTimers();
});

describe('ChatStore', () => {
  it('loads the snapshot before streaming and resumes from the earlier of its heads', async () => {
    const h = setup((b, s) => {
      b.sessions = [session('s1'), session('s2', { updated_at: '2026-11-22T11:00:00Z' })];
      b.messages.s1 = [msg('m1', { role: 'user', content: 'hi', status: 'complete' })];
      b.head = 'E1:12';
      b.messagesHead = 'E1:9';
      s.setItem('holdfast.active', 's1');
    });
    h.store.start();
    await settle();
    expect(h.store.sessions.list.map((s) => s.id)).toEqual(['s2', 's1']); // newest first
    expect(h.store.conversation.messages.map((m) => m.id)).toEqual(['m1']);
    expect(h.backend.sse.streams[0].headers['Last-Event-ID']).toBe('E1:9');
  });

  it('coalesces streamed text into one update per frame and skips what the snapshot already has', async () => {
    const h = setup((b, s) => {
      b.sessions = [session('s1')];
      b.messages.s1 = [msg('m1', { role: 'user', content: 'q', status: 'complete' }), msg('m2', { content: 'abc', chunks: 3 })];
      s.setItem('holdfast.active', 's1');
    });
    h.store.start();
    const sse = await h.live();
    // Replayed deltas 1 and 2 are already folded into the snapshot's "abc".
    sse.event('message.delta', delta(1, 'b'), 'E1:11');
    sse.event('message.delta', delta(2, 'c'), 'E1:12');
    for (let i = 3; i < 13; i++) sse.event('message.delta', delta(i, String.fromCharCode(97 + i)), `E1:${10 + i}`);
    await settle();
    expect(h.frames).toHaveLength(1);
    expect(h.store.conversation.messages[1].content).toBe('abc'); // nothing rendered before the frame
    h.runFrame();
    expect(h.store.conversation.messages[1].content).toBe('abcdefghijklm');
    expect(h.store.conversation.messages[1].chunks).toBe(13);
  });

  it('keeps streamed text when a creation is replayed, and ignores stale final states', async () => {
    const h = setup((b, s) => {
      b.sessions = [session('s1')];
      b.messages.s1 = [msg('m2', { content: 'partial', chunks: 5, status: 'interrupted' })];
      s.setItem('holdfast.active', 's1');
    });
    h.store.start();
    const sse = await h.live();
    sse.event('message.continued', msg('m2', { content: 'partial', chunks: 5, status: 'streaming', updated_at: '2026-11-22T10:01:00Z' }), 'E1:11');
    sse.event('message.delta', delta(5, ' more'), 'E1:12');
    sse.event('message.created', msg('m2', { content: '', chunks: 0 }), 'E1:13');
    await settle();
    h.runFrame();
    expect(h.store.conversation.messages[0]).toMatchObject({ content: 'partial more', chunks: 6, status: 'streaming' });
    // An older "interrupted" (fewer chunks) must not roll the message back.
    sse.event('message.interrupted', msg('m2', { content: 'partial', chunks: 5, status: 'interrupted' }), 'E1:14');
    await settle();
    expect(h.store.conversation.messages[0]).toMatchObject({ content: 'partial more', status: 'streaming' });
    sse.event('message.completed', msg('m2', { content: 'partial more!', chunks: 7, status: 'complete', updated_at: '2026-11-22T10:02:00Z' }), 'E1:15');
    await settle();
    expect(h.store.conversation.messages[0]).toMatchObject({ content: 'partial more!', status: 'complete' });
    expect(h.store.conversation.streaming).toBeNull();
  });

  it('reloads the chat instead of guessing when a delta skips an index', async () => {
    const h = setup((b, s) => {
      b.sessions = [session('s1')];
      b.messages.s1 = [msg('m2', { content: 'ab', chunks: 2 })];
      s.setItem('holdfast.active', 's1');
    });
    h.store.start();
    const sse = await h.live();
    const before = h.backend.calls.filter((c) => c.startsWith('GET /api/sessions/s1/messages')).length;
    h.backend.messages.s1 = [msg('m2', { content: 'abcde', chunks: 5 })];
    sse.event('message.delta', delta(4, 'e'), 'E1:11'); // 2 and 3 are missing
    await settle();
    h.runFrame();
    expect(h.backend.calls.filter((c) => c.startsWith('GET /api/sessions/s1/messages')).length).toBe(before + 1);
    expect(h.store.conversation.messages[0].content).toBe('abcde');
  });

  it('holds back a chat’s events while its snapshot loads, then applies them once', async () => {
    const h = setup((b) => {
      b.sessions = [session('s1')];
      b.messages.s1 = [];
    });
    h.store.start();
    const sse = await h.live();
    let release!: () => void;
    h.backend.gate = new Promise((r) => (release = r));
    // The snapshot will already contain delta 0 ("x").
    h.backend.messages.s1 = [msg('m2', { content: 'x', chunks: 1 })];
    const opening = h.store.conversation.open('s1');
    await settle();
    sse.event('message.delta', delta(0, 'x'), 'E1:11');
    sse.event('message.delta', delta(1, 'y'), 'E1:12');
    await settle();
    release();
    h.backend.gate = null;
    await opening;
    await settle();
    h.runFrame();
    expect(h.store.conversation.messages.map((m) => m.content)).toEqual(['xy']);
  });

  it('resyncs everything on reset and resumes from the new snapshot', async () => {
    const h = setup((b, s) => {
      b.sessions = [session('s1')];
      b.messages.s1 = [msg('m1', { content: 'old', status: 'complete' })];
      s.setItem('holdfast.active', 's1');
    });
    h.store.start();
    const sse = await h.live();
    h.backend.sessions = [session('s1', { title: 'renamed' }), session('s3')];
    h.backend.messages.s1 = [msg('m1', { content: 'old', status: 'complete' }), msg('m9', { content: 'new', status: 'complete' })];
    h.backend.head = 'E2:40';
    h.backend.messagesHead = 'E2:40';
    sse.event('reset', { reason: 'epoch_mismatch', epoch: 'E2', head: 'E2:40' }, 'E1:10');
    await settle();
    expect(h.store.sessions.list.map((s) => s.title).sort()).toEqual(['chat s3', 'renamed']);
    expect(h.store.conversation.messages.map((m) => m.id)).toEqual(['m1', 'm9']);
    expect(h.backend.sse.streams.at(-1)!.headers['Last-Event-ID']).toBe('E2:40');
  });

  it('shows a message sent while offline as pending and posts it exactly once when live', async () => {
    const h = setup((b, s) => {
      b.sessions = [session('s1')];
      b.messages.s1 = [];
      s.setItem('holdfast.active', 's1');
    });
    h.store.start();
    const sse = await h.live();
    h.backend.up = false;
    sse.drop();
    await settle();
    expect(h.store.connection.status.state).toBe('reconnecting');
    await h.store.send('hello offline');
    await settle();
    expect(h.store.pending.here.map((p) => p.content)).toEqual(['hello offline']);
    expect(JSON.parse(h.storage.getItem('holdfast.outbox')!)).toHaveLength(1);
    expect(h.backend.posted).toHaveLength(0);

    h.backend.up = true;
    await vi.advanceTimersByTimeAsync(1000);
    const sse2 = await h.live();
    await settle();
    expect(h.backend.posted).toHaveLength(1);
    expect(h.backend.posted[0].body).toEqual({ content: 'hello offline', client_id: 'cid1', model: 'demo/demo' });
    expect(h.store.pending.here).toEqual([]);
    expect(h.store.conversation.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    // The stream's own copy of the creation does not duplicate anything.
    sse2.event('message.created', msg('m_cid1_1', { role: 'user', content: 'hello offline', status: 'complete', client_id: 'cid1' }), 'E1:11');
    await settle();
    expect(h.store.conversation.messages).toHaveLength(2);
    expect(h.backend.posted).toHaveLength(1);
  });

  it('uploads the files a message queued offline keeps in the browser, then posts it with their ids, then frees them', async () => {
    const kept = new Map<string, KeptFile>();
    const files: FileStore = {
      put: async (k, f) => void kept.set(k, f),
      get: async (k) => kept.get(k) ?? null,
      delete: async (k) => void kept.delete(k),
      list: async () => [...kept].map(([key, f]) => ({ key, at: f.at })),
    };
    const h = setup(
      (b, s) => {
        b.sessions = [session('s1')];
        b.messages.s1 = [];
        s.setItem('holdfast.active', 's1');
      },
      { files },
    );
    h.store.start();
    const sse = await h.live();
    h.backend.up = false;
    sse.drop();
    await settle();
    const local = await h.store.offline.keep(new Blob([new Uint8Array(5)], { type: 'image/png' }), 'cat.png');
    await h.store.send('look', [{ name: 'cat.png', local, size: 5, type: 'image/png' }]);
    await settle();
    expect(h.store.pending.here.map((p) => p.attachments)).toEqual([[{ name: 'cat.png', local, size: 5, type: 'image/png' }]]);
    expect(h.backend.uploads).toEqual([]);
    expect(kept.size).toBe(1);

    h.backend.up = true;
    await vi.advanceTimersByTimeAsync(1000);
    await h.live();
    await settle();
    expect(h.backend.uploads).toEqual(['cat.png']);
    expect(h.backend.posted.map((p) => p.body)).toEqual([
      { content: 'look', client_id: 'cid1', model: 'demo/demo', attachments: [{ id: 'sha-5', name: 'cat.png' }] },
    ]);
    expect(h.store.pending.items).toEqual([]);
    expect(kept.size).toBe(0);
  });

  it('follows session events: newest first, and a deleted open chat closes', async () => {
    const h = setup((b, s) => {
      b.sessions = [session('s1')];
      b.messages.s1 = [];
      s.setItem('holdfast.active', 's1');
    });
    h.store.start();
    const sse = await h.live();
    sse.event('session.created', session('s2', { updated_at: '2026-11-22T12:00:00Z' }), 'E1:11');
    sse.event('session.updated', session('s1', { title: 'Renamed', updated_at: '2026-11-22T13:00:00Z' }), 'E1:12');
    await settle();
    expect(h.store.sessions.list.map((s) => `${s.id}:${s.title}`)).toEqual(['s1:Renamed', 's2:chat s2']);
    sse.event('session.deleted', { id: 's1' }, 'E1:13');
    await settle();
    expect(h.store.sessions.list.map((s) => s.id)).toEqual(['s2']);
    expect(h.store.conversation.id).toBeNull();
    expect(h.storage.getItem('holdfast.active')).toBeNull();
  });

  it('forgets an open chat that no longer exists on the server', async () => {
    const h = setup((b, s) => {
      b.sessions = [session('s2')];
      s.setItem('holdfast.active', 'gone');
    });
    h.store.start();
    await h.live();
    expect(h.store.conversation.id).toBeNull();
    expect(h.store.sessions.list.map((s) => s.id)).toEqual(['s2']);
  });

  it('follows config.toml: an error shows the banner, a fix clears it, reloads the models and applies a new theme', async () => {
    const h = setup();
    h.store.start();
    const sse = await h.live();
    await settle();
    expect(h.uiApplied).toEqual([{ theme: 'system', language: 'auto' }]); // first sight of the file
    expect(h.store.config.banner).toBeNull();

    const problems = [{ line: 7, column: 12, message: "expected '=' after a key" }];
    sse.event('config.error', { file: '/data/config.toml', problems }, 'E1:11');
    await settle();
    expect(h.store.config.banner).toEqual({ file: '/data/config.toml', problems });

    const modelLoads = h.backend.calls.filter((c) => c === 'GET /api/models').length;
    h.backend.models = [...h.backend.models, { id: 'fake/fake-1', provider: 'fake', model: 'fake-1', label: 'fake-1', demo: false }];
    sse.event('config.changed', { config: config({ theme: 'dark' }), warnings: [] }, 'E1:12');
    await settle();
    expect(h.store.config.banner).toBeNull();
    expect(h.backend.calls.filter((c) => c === 'GET /api/models').length).toBe(modelLoads + 1);
    expect(h.store.models.list.map((m) => m.id)).toEqual(['demo/demo', 'fake/fake-1']);
    expect(h.uiApplied.at(-1)).toEqual({ theme: 'dark' });
    expect(h.errors).toEqual([]);
  });

  it('follows the storage state: a fault names its cause until it clears, and a new connection starts from ok', async () => {
    const h = setup();
    h.store.start();
    const sse = await h.live();
    expect(h.store.connection.storage).toBe('ok');
    sse.event('storage', { state: 'busy', message: 'another program is holding the database', since: T });
    await settle();
    expect(h.store.connection.storage).toBe('busy');
    sse.event('storage', { state: 'full', message: 'the disk is full: free space to continue', since: T });
    await settle();
    expect(h.store.connection.storage).toBe('full');
    // Not a logged event: it must not move the resume point.
    sse.drop();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(h.backend.sse.streams.at(-1)!.headers['Last-Event-ID']).toBe('E1:10');
    expect(h.store.connection.storage).toBe('full'); // nothing said otherwise yet
    // The fault cleared while the stream was away: hello alone means ok.
    const again = h.backend.sse.streams.at(-1)!.openStream();
    again.hello({ epoch: 'E1', seq: 10 });
    await settle();
    expect(h.store.connection.storage).toBe('ok');
    // Still on at reconnect: storage follows hello.
    again.event('storage', { state: 'busy' });
    await settle();
    expect(h.store.connection.storage).toBe('busy');
    again.event('storage', { state: 'ok' });
    await settle();
    expect(h.store.connection.storage).toBe('ok');
    expect(h.errors).toEqual([]);
  });

  it('shows a broken config.toml from the snapshot at start', async () => {
    const h = setup((b) => (b.configError = { file: '/data/config.toml', problems: [{ line: 2, column: 1, message: 'bad' }] }));
    h.store.start();
    await h.live();
    await settle();
    expect(h.store.config.banner?.problems).toEqual([{ line: 2, column: 1, message: 'bad' }]);
  });

  it('offers Regenerate when the provider cannot continue, without an error toast', async () => {
    const h = setup((b, s) => {
      b.sessions = [session('s1')];
      b.messages.s1 = [
        msg('m1', { role: 'user', content: 'q', status: 'complete', parent_id: null }),
        msg('m2', { content: 'part', chunks: 1, status: 'stopped', parent_id: 'm1' }),
      ];
      b.continueError = { status: 422, code: 'cannot_continue', message: 'this model cannot continue an answer; regenerate it instead' };
      s.setItem('holdfast.active', 's1');
    });
    h.store.start();
    await h.live();
    h.store.conversation.continueMessage('m2');
    await settle();
    expect(h.store.conversation.cannotContinue).toEqual({ m2: 'this model cannot continue an answer; regenerate it instead' });
    expect(h.errors).toEqual([]);
    expect(h.store.conversation.messages[1].status).toBe('stopped'); // left as it was

    h.store.conversation.regenerate('m2');
    await settle();
    expect(h.store.conversation.cannotContinue).toEqual({});
    // The new version takes the old one's place; the old one is one ‹ › away.
    expect(h.store.conversation.messages.map((m) => m.id)).toEqual(['m1', 'm2_again']);
    expect(h.store.conversation.messages[1].siblings).toEqual(['m2', 'm2_again']);
  });

  it.each([
    [409, 'conflict', 'message m2 is queued', []],
    [400, 'bad_request', 'malformed request', ['continue: malformed request']],
  ])('a Continue answered %i: moot is quiet, a real rejection is reported', async (status, code, message, errors) => {
    const h = setup((b, s) => {
      b.sessions = [session('s1')];
      b.messages.s1 = [msg('m2', { content: 'part', chunks: 1, status: 'stopped' })];
      b.continueError = { status, code, message };
      s.setItem('holdfast.active', 's1');
    });
    h.store.start();
    await h.live();
    h.store.conversation.continueMessage('m2');
    await settle();
    expect(h.store.conversation.cannotContinue).toEqual({});
    expect(h.errors).toEqual(errors);
    expect(h.store.pending.items).toEqual([]);
  });

  it('controls clicked while offline wait in the outbox, pending on their message, and are delivered once, Stop first', async () => {
    const h = setup((b, s) => {
      b.sessions = [session('s1'), session('s2')];
      b.messages.s1 = [msg('m1', { role: 'user', content: 'q', status: 'complete' }), msg('m2', { content: 'so far', chunks: 2, status: 'streaming' })];
      b.messages.s2 = [];
      s.setItem('holdfast.active', 's1');
    });
    h.store.start();
    const sse = await h.live();
    h.backend.up = false;
    sse.drop();
    await settle();
    await h.store.send('queued while offline');
    h.store.conversation.edit('m1', 'edited while offline');
    h.store.deleteChat('s2');
    h.store.conversation.stop(); // the streaming answer
    h.store.conversation.stop('m2'); // clicked twice: one Stop
    await settle();
    const kinds = h.store.pending.items.map((i) => `${i.kind ?? 'send'} ${i.messageId ?? i.sessionId}`);
    expect(kinds).toEqual(['stop m2', 'send s1', 'edit m1', 'delete-chat s2']);
    expect(h.store.pending.about('m2').map((i) => i.kind)).toEqual(['stop']);
    expect(h.store.pending.about('m1').map((i) => i.content)).toEqual(['edited while offline']);
    expect(h.store.pending.deleting('s2')?.kind).toBe('delete-chat');
    // They survive a reload of the page: they are in storage.
    expect(JSON.parse(h.storage.getItem('holdfast.outbox')!)).toHaveLength(4);
    expect(h.backend.controls).toEqual([]);

    h.backend.up = true;
    await vi.advanceTimersByTimeAsync(1000);
    await h.live();
    await settle();
    expect(h.backend.controls).toEqual(['stop m2', 'edit m1', 'delete s2']);
    expect(h.backend.posted.map((p) => p.body.content)).toEqual(['queued while offline']);
    expect(h.store.pending.items).toEqual([]);
    expect(h.store.conversation.messages.map((m) => m.id)).toEqual(['n1_m1_edited', 'n2_m1_answer']); // the chat shows the edit's version
    expect(h.store.sessions.find('s2')).toBeNull();
    expect(h.errors).toEqual([]);
  });

  it('a Stop that arrives after the answer ended, or twice, changes nothing and reports nothing', async () => {
    const h = setup((b, s) => {
      b.sessions = [session('s1')];
      b.messages.s1 = [msg('m2', { content: 'done', chunks: 2, status: 'complete' })];
      s.setItem('holdfast.active', 's1');
    });
    h.store.start();
    await h.live();
    h.store.conversation.stop('m2');
    await settle();
    expect(h.backend.controls).toEqual(['stop m2']);
    expect(h.store.conversation.messages[0].status).toBe('complete');
    expect(h.store.pending.items).toEqual([]);
    expect(h.errors).toEqual([]);
  });

  it('a pending control can be discarded', async () => {
    const h = setup((b, s) => {
      b.sessions = [session('s1')];
      b.messages.s1 = [msg('m2', { content: 'so far', chunks: 2, status: 'streaming' })];
      s.setItem('holdfast.active', 's1');
    });
    h.store.start();
    const sse = await h.live();
    h.backend.up = false;
    sse.drop();
    await settle();
    h.store.conversation.stop('m2');
    await settle();
    const [stop] = h.store.pending.about('m2');
    h.store.pending.discard(stop.clientId);
    expect(h.store.pending.about('m2')).toEqual([]);
    h.backend.up = true;
    await vi.advanceTimersByTimeAsync(1000);
    await h.live();
    await settle();
    expect(h.backend.controls).toEqual([]);
  });

  it('says once per outage when new words of the open chat are painted again', async () => {
    let resumed = 0;
    const h = setup(
      (b, s) => {
        b.sessions = [session('s1')];
        b.messages.s1 = [msg('m2', { content: 'ab', chunks: 2 })];
        s.setItem('holdfast.active', 's1');
      },
      { onResumed: () => resumed++ },
    );
    h.store.start();
    let sse = await h.live();
    sse.event('message.delta', delta(2, 'c'), 'E1:11'); // not after an outage
    await settle();
    h.runFrame();
    h.runFrame();
    expect(resumed).toBe(0);
    sse.drop();
    await settle();
    await vi.advanceTimersByTimeAsync(300);
    sse = await h.live();
    sse.event('message.delta', delta(3, 'x', 'm_other', 's_other'), 'E1:12'); // another chat's words
    sse.event('message.delta', delta(3, 'd'), 'E1:13');
    sse.event('message.delta', delta(4, 'e'), 'E1:14');
    await settle();
    h.runFrame(); // the text lands
    expect(resumed).toBe(0);
    h.runFrame(); // and is painted
    h.runFrame();
    expect(resumed).toBe(1);
  });

  it('keeps the token usage a finished answer reports', async () => {
    const h = setup((b, s) => {
      b.sessions = [session('s1')];
      b.messages.s1 = [msg('m2', { content: 'ab', chunks: 2 })];
      s.setItem('holdfast.active', 's1');
    });
    h.store.start();
    const sse = await h.live();
    const usage = { input_tokens: 12, output_tokens: 340 };
    sse.event('message.completed', msg('m2', { content: 'abc', chunks: 3, status: 'complete', usage, updated_at: '2026-11-22T10:05:00Z' }), 'E1:11');
    await settle();
    expect(h.store.conversation.messages[0].usage).toEqual(usage);
  });
});
