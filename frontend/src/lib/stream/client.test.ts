import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BackendDownError, StreamClient, type StreamClientOptions } from './client';
import { backoffDelay, isLoopbackHost, retryDelay as policyDelay } from './backoff';
import { FakeServer, type SseHandle } from './fake-server.test-helper';
import { MissingTokenError } from './resolver';
import type { Credentials, StreamEvent, StreamStatus } from './types';

/** Lets promise chains (fetch, body reads, parser) run without moving the clock. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 20; j++) await Promise.resolve();
    await vi.advanceTimersByTimeAsync(0);
  }
}

class FakeEnv {
  readonly window = new EventTarget();
  readonly document = Object.assign(new EventTarget(), { visibilityState: 'visible' });
  readonly navigator = { onLine: true };
}

type ResolverMock = ReturnType<typeof vi.fn<(o?: { fresh?: boolean }) => Promise<Credentials>>>;

interface Harness {
  client: StreamClient;
  server: FakeServer;
  env: FakeEnv;
  events: StreamEvent[];
  statuses: StreamStatus[];
  resolver: ResolverMock;
}

let clients: StreamClient[] = [];

function setup(opts: Partial<StreamClientOptions> = {}): Harness {
  const server = new FakeServer();
  const env = new FakeEnv();
  // A remote server by default: the backoff tests are about it; loopback has its own below.
  const resolver: ResolverMock = vi.fn(async () => ({ baseUrl: 'https://holdfast.example.net/', token: 'T1' }));
  const client = new StreamClient({
    resolve: resolver,
    fetch: server.fetch,
    env,
    random: () => 0.5,
    lastEventId: 'E1:0',
    ...opts,
  });
  clients.push(client);
  const events: StreamEvent[] = [];
  const statuses: StreamStatus[] = [];
  client.addEventListener('*', (e) => events.push(e));
  client.addEventListener<StreamStatus>('status', (e) => statuses.push(e.data));
  return { client, server, env, events, statuses, resolver };
}

/** Answers the newest stream request with a hello. */
async function goLive(h: Harness, hello: Parameters<SseHandle['hello']>[0] = {}): Promise<SseHandle> {
  await settle();
  const sse = h.server.last.openStream();
  sse.hello(hello);
  await settle();
  expect(h.client.status.state).toBe('live');
  return sse;
}

async function startLive(h: Harness, hello: Parameters<SseHandle['hello']>[0] = {}): Promise<SseHandle> {
  h.client.start();
  return goLive(h, hello);
}

function retryDelay(h: Harness): number {
  const s = h.client.status;
  if (s.state !== 'reconnecting' && s.state !== 'offline') throw new Error(`not waiting: ${s.state}`);
  return s.delayMs;
}

const delta = (i: number, text: string) => ({ message_id: 'm1', session_id: 's1', index: i, text });
const deltaTexts = (h: Harness) =>
  h.events.filter((e) => e.type === 'message.delta').map((e) => (e.data as { text: string }).text);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-11-22T10:00:00Z'));
  clients = [];
});

afterEach(() => {
  for (const c of clients) c.close();
  vi.useRealTimers();
});

describe('connecting and resuming', () => {
  it('sends the token in a header and the resume id as Last-Event-ID', async () => {
    const h = setup({ lastEventId: 'E1:41' });
    h.client.start();
    await settle();
    const req = h.server.last;
    expect(req.url).toBe('https://holdfast.example.net/api/events');
    expect(req.headers.Authorization).toBe('Bearer T1');
    expect(req.headers['Last-Event-ID']).toBe('E1:41');
    expect(h.client.status.state).toBe('connecting');
    const sse = req.openStream();
    sse.hello({ seq: 41, connectionId: 'conn-1', heartbeatMs: 2000 });
    await settle();
    expect(h.client.status).toEqual({ state: 'live', connectionId: 'conn-1' });
    expect(h.client.connectionId).toBe('conn-1');
    expect(h.client.heartbeatMs).toBe(2000);
  });

  it('resumes after a drop from the last delivered id and never delivers an event twice', async () => {
    const h = setup();
    const sse = await startLive(h);
    sse.event('message.delta', delta(0, 'a'), 'E1:1');
    sse.event('message.delta', delta(1, 'b'), 'E1:2');
    sse.event('heartbeat', { head: 'E1:2', time: 'x' }); // no id: must not move the cursor
    await settle();
    expect(h.client.lastEventId).toBe('E1:2');
    sse.drop();
    await settle();
    expect(h.client.status.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(retryDelay(h));
    await settle();
    const req2 = h.server.streams[1];
    expect(req2.headers['Last-Event-ID']).toBe('E1:2');
    const sse2 = req2.openStream();
    sse2.hello({ seq: 2 });
    // A server replaying too much must not make the UI render anything twice.
    sse2.event('message.delta', delta(0, 'a'), 'E1:1');
    sse2.event('message.delta', delta(1, 'b'), 'E1:2');
    sse2.event('message.delta', delta(2, 'c'), 'E1:3');
    await settle();
    expect(deltaTexts(h)).toEqual(['a', 'b', 'c']);
    expect(h.client.lastEventId).toBe('E1:3');
  });

  it('parses events split at arbitrary byte boundaries', async () => {
    const h = setup();
    const sse = await startLive(h);
    const raw = 'id: E1:5\nevent: message.delta\ndata: {"message_id":"m1","index":0,"text":"héllo 你好"}\n\n';
    for (const ch of raw) sse.send(ch);
    await settle();
    const got = h.events.filter((e) => e.type === 'message.delta');
    expect(got).toHaveLength(1);
    expect(got[0].id).toBe('E1:5');
    expect((got[0].data as { text: string }).text).toBe('héllo 你好');
  });

  it('asks the resolver before every attempt and follows a backend that moved', async () => {
    const h = setup();
    const sse = await startLive(h);
    h.resolver.mockResolvedValue({ baseUrl: 'http://127.0.0.1:9555', token: 'T2' });
    sse.drop();
    await settle();
    await vi.advanceTimersByTimeAsync(retryDelay(h));
    await settle();
    expect(h.resolver).toHaveBeenCalledTimes(2);
    expect(h.server.last.url).toBe('http://127.0.0.1:9555/api/events');
    expect(h.server.last.headers.Authorization).toBe('Bearer T2');
  });

  it('fetches a snapshot first when it has no cursor, then resumes from its head', async () => {
    const resync = vi.fn(async () => 'E7:120');
    const h = setup({ lastEventId: null, resync });
    h.client.start();
    await settle();
    expect(resync).toHaveBeenCalledTimes(1);
    expect(h.server.last.headers['Last-Event-ID']).toBe('E7:120');
  });
});

describe('backoff', () => {
  it('stays within full-jitter bounds, doubles per attempt and caps', () => {
    const opts = { baseMs: 250, capMs: 30_000 };
    const ceilings = [250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000];
    ceilings.forEach((ceiling, attempt) => {
      expect(backoffDelay(attempt, opts, () => 0)).toBe(0);
      const top = backoffDelay(attempt, opts, () => 0.999999);
      expect(top).toBeLessThan(ceiling);
      expect(top).toBeGreaterThanOrEqual(Math.floor(ceiling * 0.999));
      expect(backoffDelay(attempt, opts, () => 0.5)).toBe(ceiling / 2);
    });
    expect(backoffDelay(500, opts, () => 0.999999)).toBeLessThan(30_000);
    // A random() that returns exactly 1 still stays under the ceiling.
    expect(backoffDelay(3, opts, () => 1)).toBeLessThan(2000);
  });

  it('spreads delays when random() varies (jitter) instead of using a fixed schedule', () => {
    const opts = { baseMs: 250, capMs: 30_000 };
    const seen = new Set([0.1, 0.3, 0.7, 0.9].map((r) => backoffDelay(6, opts, () => r)));
    expect(seen.size).toBe(4);
  });

  it('grows the delay on consecutive failures, caps it, and resets after a stable connection', async () => {
    const h = setup({ downAfterMs: 600_000 }); // the ladder, not the unreachable threshold
    h.client.start();
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      await settle();
      h.server.last.networkError();
      await settle();
      const s = h.client.status;
      expect(s).toMatchObject({ state: 'reconnecting', attempt: i + 1 });
      delays.push(retryDelay(h));
      await vi.advanceTimersByTimeAsync(retryDelay(h));
    }
    // random() = 0.5: half of min(30 s, 250 ms · 2^n)
    expect(delays).toEqual([125, 250, 500, 1000, 2000, 4000, 8000, 15000, 15000]);

    // Live for less than stableMs, then dropped: the backoff keeps growing.
    let sse = await goLive(h);
    await vi.advanceTimersByTimeAsync(3000);
    sse.drop();
    await settle();
    expect(retryDelay(h)).toBe(15000);

    // Live for longer than stableMs (10 s, heartbeats keep it up): back to the first step.
    await vi.advanceTimersByTimeAsync(retryDelay(h));
    sse = await goLive(h, { heartbeatMs: 4000 });
    for (let t = 0; t < 12; t++) {
      await vi.advanceTimersByTimeAsync(1000);
      sse.event('heartbeat', { head: 'E1:0', time: 'x' });
    }
    sse.drop();
    await settle();
    expect(h.client.status).toMatchObject({ state: 'reconnecting', attempt: 1, delayMs: 125 });
  });

  it("honours the server's retry field after a clean end of stream", async () => {
    const h = setup();
    const sse = await startLive(h);
    sse.send('retry: 7000\n\n');
    await settle();
    sse.end();
    await settle();
    expect(retryDelay(h)).toBe(7000);
    await vi.advanceTimersByTimeAsync(6999);
    expect(h.server.streams).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(h.server.streams).toHaveLength(2);
  });

  it("waits at least shutdown.retry_ms after the server says it is going down", async () => {
    const h = setup();
    const sse = await startLive(h);
    sse.event('shutdown', { reason: 'restart', retry_ms: 4000 }, 'E1:0');
    await settle();
    expect(h.client.status).toMatchObject({ state: 'reconnecting', delayMs: 4000 });
    expect(h.server.last.closed).toBe(true);
    await vi.advanceTimersByTimeAsync(3999);
    expect(h.server.streams).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(h.server.streams).toHaveLength(2);
  });
});

describe('retry policy: a backend on this machine vs a remote one', () => {
  const opts = { backoff: { baseMs: 250, capMs: 30_000 }, local: { intervalMs: 250, slowIntervalMs: 2_000 } };

  it.each([
    ['127.0.0.1', true],
    ['127.4.5.6', true],
    ['localhost', true],
    ['LOCALHOST.', true],
    ['wails.localhost', true],
    ['[::1]', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['128.0.0.1', false],
    ['10.0.0.2', false],
    ['192.168.1.20', false],
    ['holdfast.example.net', false],
    ['localhost.example.net', false],
    ['[::2]', false],
  ])('%s is loopback: %s', (host, want) => {
    expect(isLoopbackHost(host)).toBe(want);
  });

  it('local: the first retry at once, then a constant short interval whatever the attempt or the server asks', () => {
    const delays = Array.from({ length: 40 }, (_, attempt) => policyDelay({ attempt, local: true, down: false, floorMs: 1000 }, opts, () => 0.99));
    expect(delays[0]).toBe(0);
    expect(new Set(delays.slice(1))).toEqual(new Set([250]));
    expect(policyDelay({ attempt: 3, local: true, down: true, floorMs: 0 }, opts, () => 0.5)).toBe(2000);
  });

  it('remote: full-jitter exponential backoff, at least the server floor, also once down', () => {
    expect(policyDelay({ attempt: 0, local: false, down: false, floorMs: 0 }, opts, () => 0.5)).toBe(125);
    expect(policyDelay({ attempt: 4, local: false, down: false, floorMs: 0 }, opts, () => 0.5)).toBe(2000);
    expect(policyDelay({ attempt: 4, local: false, down: false, floorMs: 7000 }, opts, () => 0.5)).toBe(7000);
    expect(policyDelay({ attempt: 20, local: false, down: true, floorMs: 0 }, opts, () => 0.5)).toBe(15000);
  });

  function localSetup(extra: Partial<StreamClientOptions> = {}) {
    const h = setup({ downAfterMs: 30_000, ...extra });
    h.resolver.mockResolvedValue({ baseUrl: 'http://127.0.0.1:9000', token: 'T1' });
    return h;
  }

  it('a loopback backend that went away is tried every 250 ms and resumed the moment it answers', async () => {
    const h = localSetup();
    const sse = await startLive(h);
    sse.event('message.delta', delta(0, 'a'), 'E1:1');
    await settle();
    h.statuses.length = 0;
    sse.drop(); // kill -9
    await settle();
    expect(h.client.status).toMatchObject({ state: 'reconnecting', attempt: 1, delayMs: 0 });
    const tried: number[] = [];
    const t0 = Date.now();
    for (let i = 0; i < 20; i++) {
      await vi.advanceTimersByTimeAsync(retryDelay(h));
      await settle();
      tried.push(Date.now() - t0);
      h.server.last.networkError('connection refused');
      await settle();
    }
    expect(tried.slice(0, 4)).toEqual([0, 250, 500, 750]);
    expect(tried.at(-1)).toBe(19 * 250);
    // The status said "reconnecting" throughout: no flicker through "connecting".
    expect(new Set(h.statuses.map((s) => s.state))).toEqual(new Set(['reconnecting']));
    // Back: the next attempt goes live and resumes after the last event seen.
    await vi.advanceTimersByTimeAsync(retryDelay(h));
    await settle();
    expect(h.server.last.headers['Last-Event-ID']).toBe('E1:1');
    const sse2 = await goLive(h);
    // The next outage starts from an immediate retry again.
    sse2.drop();
    await settle();
    expect(h.client.status).toMatchObject({ state: 'reconnecting', attempt: 1, delayMs: 0 });
  });

  it('the desktop binding marks its backend local whatever its address says', async () => {
    const h = setup();
    h.resolver.mockResolvedValue({ baseUrl: 'http://wails-backend.internal:5000', token: 'T1', local: true });
    const sse = await startLive(h);
    sse.drop();
    await settle();
    await vi.advanceTimersByTimeAsync(0);
    await settle();
    h.server.last.networkError();
    await settle();
    expect(retryDelay(h)).toBe(250);
  });

  it('after the threshold: failed (unreachable), still retrying at a slower pace, live again when it is back', async () => {
    const h = localSetup({ downAfterMs: 3000 });
    const sse = await startLive(h);
    sse.drop();
    for (let i = 0; i < 14; i++) {
      await settle();
      if (h.client.status.state === 'failed') break;
      await vi.advanceTimersByTimeAsync(retryDelay(h));
      await settle();
      h.server.last.networkError('connection refused');
    }
    await settle();
    const s = h.client.status;
    expect(s).toMatchObject({ state: 'failed', code: 'unreachable', reason: 'connection refused', delayMs: 2000 });
    if (s.state !== 'failed') throw new Error('not failed');
    expect(Date.now() - s.since!).toBeGreaterThanOrEqual(3000);
    expect(s.retryAt).toBe(Date.now() + 2000);
    // Keeps trying in the background.
    const before = h.server.streams.length;
    await vi.advanceTimersByTimeAsync(2000);
    await settle();
    expect(h.server.streams.length).toBe(before + 1);
    await goLive(h);
  });

  it('a remote backoff crossing the threshold says failed when it passes, not at the next attempt', async () => {
    const h = setup({ downAfterMs: 5000, random: () => 0.999 });
    const sse = await startLive(h);
    sse.drop();
    await settle();
    for (let i = 0; i < 5; i++) {
      await vi.advanceTimersByTimeAsync(retryDelay(h));
      await settle();
      h.server.last.networkError();
      await settle();
    }
    // 250+500+1000+2000+4000 ceilings: the 5th wait ends past 5 s; it is failed before it ends.
    expect(h.client.status).toMatchObject({ state: 'failed', code: 'unreachable' });
    expect((h.client.status as { retryAt?: number }).retryAt).toBeGreaterThan(Date.now());
  });

  it('the Reconnect button tries at once from the failed state', async () => {
    const h = localSetup({ downAfterMs: 1000 });
    const sse = await startLive(h);
    sse.drop();
    for (let i = 0; i < 8 && h.client.status.state !== 'failed'; i++) {
      await settle();
      await vi.advanceTimersByTimeAsync(retryDelay(h));
      await settle();
      h.server.last.networkError();
      await settle();
    }
    expect(h.client.status.state).toBe('failed');
    const before = h.server.streams.length;
    h.client.reconnect();
    expect(h.client.status.state).toBe('connecting');
    await settle();
    expect(h.server.streams.length).toBe(before + 1);
    await goLive(h);
  });

  it('a desktop backend that failed to restart is reported at once, and tried again until it is back', async () => {
    const h = setup({ local: true });
    const sse = await startLive(h);
    h.resolver.mockRejectedValue(new BackendDownError('the backend could not restart: listen on 127.0.0.1:4000: address already in use'));
    sse.drop();
    await settle();
    await vi.advanceTimersByTimeAsync(0);
    await settle();
    expect(h.client.status).toMatchObject({ state: 'failed', code: 'backend_down', delayMs: 2000 });
    expect((h.client.status as { reason: string }).reason).toContain('address already in use');
    h.resolver.mockResolvedValue({ baseUrl: 'http://127.0.0.1:4001', token: 'T1', local: true });
    await vi.advanceTimersByTimeAsync(2000);
    await settle();
    expect(h.server.last.url).toBe('http://127.0.0.1:4001/api/events');
    await goLive(h);
  });
});

describe('heartbeat watchdog', () => {
  it('aborts a silent connection after 2.5 × heartbeat_ms, and bytes push it out', async () => {
    const h = setup();
    const sse = await startLive(h, { heartbeatMs: 1000 });
    const req = h.server.last;
    await vi.advanceTimersByTimeAsync(2000);
    sse.event('heartbeat', { head: 'E1:0', time: 'x' });
    await settle();
    await vi.advanceTimersByTimeAsync(2400);
    expect(req.closed).toBe(false);
    expect(h.client.status.state).toBe('live');
    await vi.advanceTimersByTimeAsync(100); // 2500 ms after the last byte
    await settle();
    expect(req.closed).toBe(true);
    expect(h.client.status).toMatchObject({ state: 'reconnecting', reason: expect.stringContaining('stalled') });
  });

  it('also bounds a connection attempt that never answers', async () => {
    const h = setup({ defaultHeartbeatMs: 2000 });
    h.client.start();
    await settle();
    const req = h.server.last; // never answered, like a frozen proxy
    await vi.advanceTimersByTimeAsync(4999);
    expect(req.closed).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(req.closed).toBe(true);
    expect(h.client.status.state).toBe('reconnecting');
  });
});

describe('sleep and network changes', () => {
  it('reconnects at once when the wall clock jumps (the machine slept)', async () => {
    const h = setup();
    const wakes: StreamEvent[] = [];
    h.client.addEventListener('wake', (e) => wakes.push(e));
    await startLive(h, { heartbeatMs: 15000 });
    const first = h.server.last;
    // Normal ticking is not drift.
    await vi.advanceTimersByTimeAsync(5000);
    expect(wakes).toHaveLength(0);
    expect(h.server.streams).toHaveLength(1);
    // The clock jumps 10 minutes between two ticks; the heartbeat watchdog would take 37.5 s.
    vi.setSystemTime(Date.now() + 10 * 60_000);
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(wakes).toHaveLength(1);
    expect((wakes[0].data as { driftMs: number }).driftMs).toBeGreaterThan(9 * 60_000);
    expect(first.closed).toBe(true);
    expect(h.server.streams).toHaveLength(2);
    expect(h.server.last.headers['Last-Event-ID']).toBe('E1:0');
  });

  it('ignores drift of a hidden page up to the throttling allowance', async () => {
    const h = setup();
    await startLive(h, { heartbeatMs: 120_000 });
    h.env.document.visibilityState = 'hidden';
    vi.setSystemTime(Date.now() + 60_000); // browsers run hidden timers about once a minute
    await vi.advanceTimersByTimeAsync(1000);
    await settle();
    expect(h.server.streams).toHaveLength(1);
  });

  it('retries at once on `online` instead of waiting out the backoff', async () => {
    const h = setup();
    h.client.start();
    for (let i = 0; i < 6; i++) {
      await settle();
      h.server.last.networkError();
      await settle();
      if (i < 5) await vi.advanceTimersByTimeAsync(retryDelay(h));
    }
    expect(retryDelay(h)).toBeGreaterThan(1000);
    const before = h.server.streams.length;
    h.env.window.dispatchEvent(new Event('online'));
    await settle();
    expect(h.server.streams).toHaveLength(before + 1);
  });

  it('shows offline (navigator.onLine is only a hint) and keeps trying', async () => {
    const h = setup();
    const sse = await startLive(h);
    h.env.navigator.onLine = false;
    sse.drop();
    await settle();
    expect(h.client.status.state).toBe('offline');
    await vi.advanceTimersByTimeAsync(retryDelay(h));
    await settle();
    expect(h.server.streams).toHaveLength(2); // tried anyway
    await goLive(h);
  });

  it('probes on `offline` while live and reconnects when the probe fails', async () => {
    const h = setup();
    const sse = await startLive(h);
    sse.event('heartbeat', { head: 'E1:0', time: 'x' });
    await settle();
    h.env.navigator.onLine = false;
    h.env.window.dispatchEvent(new Event('offline'));
    await settle();
    const probe = h.server.last;
    expect(probe.url).toBe('https://holdfast.example.net/api/health');
    expect(probe.headers.Authorization).toBe('Bearer T1');
    probe.networkError();
    await settle();
    expect(h.server.streams[0].closed).toBe(true);
    expect(h.server.streams).toHaveLength(2);
  });

  it('keeps a live stream whose probe succeeds', async () => {
    const h = setup();
    await startLive(h);
    h.env.document.dispatchEvent(new Event('visibilitychange'));
    await settle();
    h.server.last.respond(new Response('{"ok":true}', { status: 200 }));
    await settle();
    expect(h.server.streams).toHaveLength(1);
    expect(h.server.streams[0].closed).toBe(false);
    expect(h.client.status.state).toBe('live');
  });
});

describe('error classes', () => {
  it('401: asks the resolver once for fresh credentials and carries on', async () => {
    const h = setup();
    h.client.start();
    await settle();
    h.server.last.fail(401, 'unauthorized', 'bad token');
    await settle();
    expect(h.resolver).toHaveBeenLastCalledWith({ fresh: true });
    expect(h.server.streams).toHaveLength(2);
    await goLive(h);
  });

  it('401 twice: failed with unauthorized, and no retry loop', async () => {
    const h = setup();
    h.client.start();
    await settle();
    h.server.last.fail(401, 'unauthorized', 'bad token');
    await settle();
    h.server.last.fail(401, 'unauthorized', 'bad token');
    await settle();
    expect(h.client.status).toEqual({ state: 'failed', code: 'unauthorized', reason: 'bad token' });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(h.server.streams).toHaveLength(2);
  });

  it('a resolver with no token ends as failed: unauthorized', async () => {
    const h = setup();
    h.resolver.mockRejectedValue(new MissingTokenError());
    h.client.start();
    await settle();
    expect(h.resolver).toHaveBeenCalledTimes(2);
    expect(h.client.status).toMatchObject({ state: 'failed', code: 'unauthorized' });
  });

  it.each([
    [400, 'bad_request', 'bad last_event_id'],
    [403, 'bad_origin', 'origin not allowed'],
    [404, 'not_found', 'no such endpoint'],
  ])('%i: failed with the reason, no retry', async (status, code, message) => {
    const h = setup();
    h.client.start();
    await settle();
    h.server.last.fail(status, code, message);
    await settle();
    expect(h.client.status).toEqual({ state: 'failed', code, reason: message });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(h.server.requests).toHaveLength(1);
    // The Reconnect button starts over.
    h.client.reconnect();
    await settle();
    expect(h.server.requests).toHaveLength(2);
  });

  it.each([500, 502, 503, 429])('%i: retried with backoff', async (status) => {
    const h = setup();
    h.client.start();
    await settle();
    h.server.last.fail(status);
    await settle();
    expect(h.client.status).toMatchObject({ state: 'reconnecting', attempt: 1 });
    await vi.advanceTimersByTimeAsync(retryDelay(h));
    await settle();
    expect(h.server.streams).toHaveLength(2);
  });

  it('network error: retried', async () => {
    const h = setup();
    h.client.start();
    await settle();
    h.server.last.networkError('connection refused');
    await settle();
    expect(h.client.status).toMatchObject({ state: 'reconnecting', reason: 'connection refused' });
  });

  it('a 200 that is not an event stream fails instead of looping', async () => {
    const h = setup();
    h.client.start();
    await settle();
    h.server.last.respond(new Response('<html>', { status: 200, headers: { 'content-type': 'text/html' } }));
    await settle();
    expect(h.client.status).toMatchObject({ state: 'failed', code: 'bad_response' });
  });
});

describe('reset', () => {
  it('resyncs over REST, then reconnects from the snapshot head', async () => {
    const resync = vi.fn(async () => 'E2:500');
    const h = setup({ resync, lastEventId: 'E1:10' });
    const sse = await startLive(h, { seq: 10 });
    sse.event('reset', { reason: 'epoch_mismatch', epoch: 'E2', head: 'E2:510' }, 'E1:10');
    await settle();
    expect(h.events.map((e) => e.type)).toContain('reset');
    expect(resync).toHaveBeenCalledTimes(1);
    expect(h.server.streams[0].closed).toBe(true);
    const req = h.server.last;
    expect(req.headers['Last-Event-ID']).toBe('E2:500');
    const sse2 = req.openStream();
    sse2.hello({ epoch: 'E2', seq: 500 });
    sse2.event('message.delta', delta(0, 'x'), 'E2:501');
    await settle();
    expect(deltaTexts(h)).toEqual(['x']);
  });

  it('a failing resync is retried with backoff before any stream request', async () => {
    const resync = vi.fn<(s: AbortSignal) => Promise<string | null>>();
    resync.mockRejectedValueOnce(new TypeError('Failed to fetch')).mockResolvedValueOnce('E1:3');
    const h = setup({ resync, lastEventId: null });
    h.client.start();
    await settle();
    expect(h.server.streams).toHaveLength(0);
    expect(h.client.status.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(retryDelay(h));
    await settle();
    expect(resync).toHaveBeenCalledTimes(2);
    expect(h.server.last.headers['Last-Event-ID']).toBe('E1:3');
  });
});

describe('close', () => {
  it('leaves no timer, request or reader running', async () => {
    const h = setup();
    const sse = await startLive(h);
    const req = h.server.last;
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    h.client.close();
    await settle();
    expect(h.client.status.state).toBe('closed');
    expect(vi.getTimerCount()).toBe(0);
    expect(req.signal.aborted).toBe(true);
    expect(sse.cancelled || req.closed).toBe(true);
    // Nothing wakes it up again.
    h.env.window.dispatchEvent(new Event('online'));
    h.env.document.dispatchEvent(new Event('visibilitychange'));
    vi.setSystemTime(Date.now() + 3_600_000);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(h.server.requests).toHaveLength(1);
    expect(h.statuses.at(-1)).toEqual({ state: 'closed' });
  });

  it('cancels a pending backoff and a pending request', async () => {
    const h = setup();
    h.client.start();
    await settle();
    h.server.last.networkError();
    await settle();
    expect(h.client.status.state).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(retryDelay(h));
    await settle();
    const pending = h.server.last; // connecting, unanswered
    h.client.close();
    await settle();
    expect(pending.signal.aborted).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});
