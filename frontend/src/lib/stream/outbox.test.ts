import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Outbox, PermanentSendError, flushOnLive, kindOf, type OutboxItem } from './outbox';
import { StreamClient } from './client';
import { FakeServer } from './fake-server.test-helper';

class MemoryStorage {
  readonly data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

const item = (n: number, sessionId = 's1'): OutboxItem => ({
  clientId: `c${n}`,
  sessionId,
  content: `message ${n}`,
  createdAt: n,
});

/** A stand-in for POST /api/sessions/{id}/messages that is idempotent on client_id, like the real one. */
class FakeMessagesApi {
  readonly stored = new Map<string, OutboxItem>();
  readonly calls: string[] = [];
  up = true;
  inFlight = 0;
  maxInFlight = 0;
  async send(i: OutboxItem): Promise<string> {
    this.calls.push(i.clientId);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setTimeout(r, 10));
    this.inFlight--;
    if (!this.up) throw new TypeError('Failed to fetch');
    if (i.content === 'too big') throw new PermanentSendError('message too large');
    if (!this.stored.has(i.clientId)) this.stored.set(i.clientId, i);
    return `m_${i.clientId}`;
  }
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('Outbox', () => {
  it('keeps a message sent while offline, shows it pending, and sends it exactly once when back', async () => {
    const storage = new MemoryStorage();
    const api = new FakeMessagesApi();
    api.up = false;
    const changes: number[] = [];
    const sent: string[] = [];
    const box = new Outbox<string>({
      storage,
      send: (i) => api.send(i),
      onSent: (_i, r) => sent.push(r),
      onChange: (items) => changes.push(items.length),
    });
    const p = box.add(item(1));
    await vi.advanceTimersByTimeAsync(20);
    await p;
    expect(box.items.map((i) => i.clientId)).toEqual(['c1']);
    expect(box.items[0].lastError).toBe('Failed to fetch');
    expect(JSON.parse(storage.getItem('holdfast.outbox')!)).toHaveLength(1);
    expect(api.stored.size).toBe(0);

    api.up = true;
    // Several triggers at once (status live, online, a second add) must not double-send.
    const flushes = [box.flush(), box.flush(), box.flush()];
    await vi.advanceTimersByTimeAsync(50);
    await Promise.all(flushes);
    expect(api.maxInFlight).toBe(1);
    expect(api.stored.size).toBe(1);
    expect(api.calls.filter((c) => c === 'c1')).toHaveLength(2); // one failed attempt, one success
    expect(sent).toEqual(['m_c1']);
    expect(box.items).toHaveLength(0);
    expect(JSON.parse(storage.getItem('holdfast.outbox')!)).toEqual([]);
    expect(changes.at(-1)).toBe(0);
  });

  it('survives a reload: a new outbox on the same storage still has the message', async () => {
    const storage = new MemoryStorage();
    const api = new FakeMessagesApi();
    api.up = false;
    const first = new Outbox({ storage, send: (i) => api.send(i) });
    const p = first.add(item(1));
    await vi.advanceTimersByTimeAsync(20);
    await p;

    api.up = true;
    const second = new Outbox({ storage, send: (i) => api.send(i) });
    expect(second.items.map((i) => i.content)).toEqual(['message 1']);
    const f = second.flush();
    await vi.advanceTimersByTimeAsync(20);
    await f;
    expect([...api.stored.keys()]).toEqual(['c1']);
  });

  it('a resend after an unclear failure reuses the client_id, so the server stores it once', async () => {
    const storage = new MemoryStorage();
    const api = new FakeMessagesApi();
    let lose = true;
    // The server stores the message but the answer is lost on the way back.
    const box = new Outbox({
      storage,
      send: async (i) => {
        const r = await api.send(i);
        if (lose) {
          lose = false;
          throw new TypeError('network changed');
        }
        return r;
      },
    });
    const p = box.add(item(7));
    await vi.advanceTimersByTimeAsync(20);
    await p;
    expect(box.items).toHaveLength(1);
    const f = box.flush();
    await vi.advanceTimersByTimeAsync(20);
    await f;
    expect(api.calls).toEqual(['c7', 'c7']);
    expect(api.stored.size).toBe(1);
    expect(box.items).toHaveLength(0);
  });

  it('sends in order and stops the round at the first retryable failure', async () => {
    const storage = new MemoryStorage();
    const api = new FakeMessagesApi();
    const order: string[] = [];
    let failOn = 'c2';
    const box = new Outbox({
      storage,
      send: async (i) => {
        order.push(i.clientId);
        if (i.clientId === failOn) throw new TypeError('down');
        return api.send(i);
      },
    });
    for (const i of [item(1), item(2), item(3)]) void box.add(i);
    await vi.advanceTimersByTimeAsync(50);
    expect(order).toEqual(['c1', 'c2']);
    expect(box.items.map((i) => i.clientId)).toEqual(['c2', 'c3']);
    failOn = '';
    const f = box.flush();
    await vi.advanceTimersByTimeAsync(50);
    await f;
    expect(order).toEqual(['c1', 'c2', 'c2', 'c3']);
    expect([...api.stored.keys()]).toEqual(['c1', 'c2', 'c3']);
  });

  it('drops a message the server rejects for good and says why', async () => {
    const storage = new MemoryStorage();
    const api = new FakeMessagesApi();
    const rejected: string[] = [];
    const box = new Outbox({
      storage,
      send: (i) => api.send(i),
      onRejected: (i, e) => rejected.push(`${i.clientId}: ${e.message}`),
    });
    const p = box.add({ ...item(1), content: 'too big' });
    void box.add(item(2));
    await vi.advanceTimersByTimeAsync(50);
    await p;
    expect(rejected).toEqual(['c1: message too large']);
    expect(box.items).toHaveLength(0);
    expect([...api.stored.keys()]).toEqual(['c2']);
  });

  it('starts empty on unreadable storage instead of failing to boot', () => {
    const storage = new MemoryStorage();
    storage.setItem('holdfast.outbox', '{not json');
    expect(new Outbox({ storage, send: async () => 1 }).items).toEqual([]);
    storage.setItem('holdfast.outbox', JSON.stringify([{ clientId: 1 }, item(3)]));
    expect(new Outbox({ storage, send: async () => 1 }).items.map((i) => i.clientId)).toEqual(['c3']);
  });

  it('flushes when the stream goes live again, exactly once per message', async () => {
    const storage = new MemoryStorage();
    const api = new FakeMessagesApi();
    api.up = false;
    const box = new Outbox({ storage, send: (i) => api.send(i) });
    const server = new FakeServer();
    const client = new StreamClient({
      resolve: async () => ({ baseUrl: 'http://127.0.0.1:1', token: 't' }),
      fetch: server.fetch,
      env: { window: new EventTarget(), document: null, navigator: { onLine: false } },
      random: () => 0.5,
      lastEventId: 'E:1',
    });
    const off = flushOnLive(client, box);
    client.start();
    await vi.advanceTimersByTimeAsync(0);
    server.last.networkError();
    await vi.advanceTimersByTimeAsync(0);
    expect(client.status.state).toBe('offline');
    const p = box.add(item(1));
    await vi.advanceTimersByTimeAsync(20);
    await p;
    expect(box.items).toHaveLength(1);

    api.up = true;
    await vi.advanceTimersByTimeAsync(200); // the retry fires
    const sse = server.streams[1].openStream();
    sse.hello({ epoch: 'E', seq: 1 });
    await vi.advanceTimersByTimeAsync(20);
    expect(client.status.state).toBe('live');
    expect(box.items).toHaveLength(0);
    // A second live (reconnect) sends nothing again.
    sse.drop();
    await vi.advanceTimersByTimeAsync(300);
    server.streams[2].openStream().hello({ epoch: 'E', seq: 1 });
    await vi.advanceTimersByTimeAsync(20);
    expect(client.status.state).toBe('live');
    expect(api.calls).toEqual(['c1', 'c1']);
    expect(api.stored.size).toBe(1);
    off();
    client.close();
  });
});

/**
 * A stand-in for the message controls that behaves like the real server's
 * rules: a Stop of a stopped answer changes nothing, a Regenerate with a
 * client_id seen before returns what it made then.
 */
class FakeControlsApi {
  readonly effects: string[] = [];
  readonly calls: string[] = [];
  readonly stopped = new Set<string>();
  readonly regenerated = new Map<string, string>();
  up = true;
  /** The server acts, then the answer is lost on the way back (once per client id listed). */
  readonly loseAnswer = new Set<string>();
  async send(i: OutboxItem): Promise<string> {
    this.calls.push(`${i.kind ?? 'send'} ${i.messageId ?? i.sessionId}`);
    await new Promise((r) => setTimeout(r, 5));
    if (!this.up) throw new TypeError('Failed to fetch');
    let result = 'ok';
    switch (i.kind) {
      case 'stop':
        if (!this.stopped.has(i.messageId!)) {
          this.stopped.add(i.messageId!);
          this.effects.push(`stopped ${i.messageId}`);
        }
        break;
      case 'regenerate':
        if (!this.regenerated.has(i.clientId)) {
          this.regenerated.set(i.clientId, `new-${this.regenerated.size}`);
          this.effects.push(`regenerated ${i.messageId} as ${this.regenerated.get(i.clientId)}`);
        }
        result = this.regenerated.get(i.clientId)!;
        break;
      default:
        this.effects.push(`${i.kind ?? 'send'} ${i.messageId ?? i.sessionId}`);
    }
    if (this.loseAnswer.delete(i.clientId)) throw new TypeError('network changed');
    return result;
  }
}

const control = (n: number, kind: OutboxItem['kind'], messageId: string): OutboxItem => ({
  clientId: `k${n}`,
  kind,
  sessionId: 's1',
  messageId,
  content: '',
  createdAt: n,
});

describe('Outbox: controls', () => {
  it('Stop goes first, replaces the pending Continue/Regenerate of its answer, and a second Stop adds nothing', async () => {
    const api = new FakeControlsApi();
    api.up = false;
    const box = new Outbox({ storage: new MemoryStorage(), send: (i) => api.send(i) });
    for (const i of [item(1), control(2, 'continue', 'm9'), control(3, 'regenerate', 'm9'), control(4, 'continue', 'm7'), item(5)]) {
      void box.add(i);
      await vi.advanceTimersByTimeAsync(10);
    }
    void box.add(control(6, 'stop', 'm9'));
    void box.add(control(7, 'stop', 'm9'));
    await vi.advanceTimersByTimeAsync(10);
    expect(box.items.map((i) => `${i.kind ?? 'send'} ${i.messageId ?? i.clientId}`)).toEqual([
      'stop m9',
      'send c1',
      'continue m7',
      'send c5',
    ]);
    // A Continue clicked after the Stop is the newer wish: it stays, behind the Stop.
    void box.add(control(8, 'continue', 'm9'));
    await vi.advanceTimersByTimeAsync(10);
    expect(box.items.map((i) => i.clientId)).toEqual(['k6', 'c1', 'k4', 'c5', 'k8']);

    api.up = true;
    const f = box.flush();
    await vi.advanceTimersByTimeAsync(100);
    await f;
    expect(api.effects).toEqual(['stopped m9', 'send s1', 'continue m7', 'send s1', 'continue m9']);
    expect(box.items).toEqual([]);
  });

  it('a Stop clicked while another request is on its way goes right after it, or first if that one fails', async () => {
    const api = new FakeControlsApi();
    const box = new Outbox({ storage: new MemoryStorage(), send: (i) => api.send(i) });
    api.up = false;
    void box.add(item(1)); // on its way: it will fail
    void box.add(item(2));
    void box.add(control(3, 'stop', 'm1'));
    expect(box.items.map((i) => i.clientId)).toEqual(['c1', 'k3', 'c2']);
    await vi.advanceTimersByTimeAsync(20);
    expect(box.items.map((i) => i.clientId)).toEqual(['k3', 'c1', 'c2']);
  });

  it('a control resent after its answer was lost acts once (the server dedupes it)', async () => {
    const api = new FakeControlsApi();
    const results: string[] = [];
    const box = new Outbox<string>({ storage: new MemoryStorage(), send: (i) => api.send(i), onSent: (_i, r) => results.push(r) });
    api.loseAnswer.add('k1');
    api.loseAnswer.add('k2');
    void box.add(control(1, 'stop', 'm1'));
    void box.add(control(2, 'regenerate', 'm2'));
    await vi.advanceTimersByTimeAsync(20);
    expect(box.items.map((i) => i.clientId)).toEqual(['k1', 'k2']);
    for (let round = 0; round < 3; round++) {
      const f = box.flush();
      await vi.advanceTimersByTimeAsync(20);
      await f;
    }
    expect(api.calls).toEqual(['stop m1', 'stop m1', 'regenerate m2', 'regenerate m2']);
    expect(api.effects).toEqual(['stopped m1', 'regenerated m2 as new-0']);
    expect(results).toEqual(['ok', 'new-0']);
    expect(box.items).toEqual([]);
  });

  it('reads items stored before kinds existed as sends, and drops what it does not know', () => {
    const storage = new MemoryStorage();
    storage.setItem(
      'holdfast.outbox',
      JSON.stringify([item(1), control(2, 'stop', 'm1'), { ...control(3, 'stop', 'm1'), kind: 'explode' }, { ...control(4, 'edit', 'm1'), messageId: 5 }]),
    );
    const box = new Outbox({ storage, send: async () => 1 });
    expect(box.items.map((i) => `${kindOf(i)} ${i.clientId}`)).toEqual(['send c1', 'stop k2']);
    expect(box.about('m1').map((i) => i.clientId)).toEqual(['k2']);
  });
});
