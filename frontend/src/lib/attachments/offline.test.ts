import { describe, expect, it } from 'vitest';
import { HttpError } from '../http';
import { Outbox, type OutboxItem } from '../stream/outbox';
import type { Attachment } from './attachments';
import type { FileStore, KeptFile } from './filestore';
import { OfflineFiles, localKeys, retryableUpload, sweepAfterMs } from './offline';

/** The file store as a Map (IndexedDB's part is thin: filestore.ts). */
class MapFileStore implements FileStore {
  readonly files = new Map<string, KeptFile>();
  failPut: Error | null = null;
  async put(key: string, file: KeptFile) {
    if (this.failPut) throw this.failPut;
    this.files.set(key, file);
  }
  async get(key: string) {
    return this.files.get(key) ?? null;
  }
  async delete(key: string) {
    this.files.delete(key);
  }
  async list() {
    return [...this.files].map(([key, f]) => ({ key, at: f.at }));
  }
}

class MemoryStorage {
  readonly data = new Map<string, string>();
  getItem(k: string) {
    return this.data.get(k) ?? null;
  }
  setItem(k: string, v: string) {
    this.data.set(k, v);
  }
}

const offlineErr = () => new TypeError('Failed to fetch');
const png = () => new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])], { type: 'image/png' });

/**
 * A server as the outbox sees it: uploads stored by content (so the same
 * bytes give the same id), sends deduplicated by client_id, and a switch to
 * drop the connection. `log` records what reached it, in order.
 */
class FakeServer {
  down = true;
  /** Fail the next send after the server took it (the answer is lost). */
  loseNextAnswer = false;
  refuseUploads: HttpError | null = null;
  readonly log: string[] = [];
  readonly uploads = new Map<string, number>();
  readonly messages = new Map<string, { id: string; name: string }[]>();

  async upload(file: Blob, name: string): Promise<Attachment> {
    if (this.down) throw offlineErr();
    if (this.refuseUploads) throw this.refuseUploads;
    const id = `sha-${new Uint8Array(await file.arrayBuffer()).join('.')}`;
    this.uploads.set(id, (this.uploads.get(id) ?? 0) + 1);
    this.log.push(`upload ${name}`);
    return { id, name, size: file.size, mime: file.type, kind: 'image' };
  }

  async send(item: OutboxItem): Promise<string> {
    if (this.down) throw offlineErr();
    const refs = (item.attachments ?? []).map((a) => {
      if (!a.id) throw new Error(`sent ${a.name} without an id`);
      return { id: a.id, name: a.name };
    });
    this.log.push(`send ${item.clientId}`);
    if (!this.messages.has(item.clientId)) this.messages.set(item.clientId, refs);
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw offlineErr();
    }
    return item.clientId;
  }
}

function rig(storage = new MemoryStorage(), files = new MapFileStore(), server = new FakeServer(), now = () => 1_000_000) {
  let n = 0;
  const offline = new OfflineFiles({ store: files, upload: (f, name) => server.upload(f, name), now, newKey: () => `k${++n}` });
  const sent: string[] = [];
  const rejected: string[] = [];
  const outbox = new Outbox<string>({
    storage,
    prepare: (item) => offline.prepare(item),
    send: (item) => server.send(item),
    onSent: (item) => {
      sent.push(item.clientId);
      void offline.release(item);
    },
    onRejected: (item, err) => {
      rejected.push(err.message);
      void offline.release(item);
    },
  });
  return { storage, files, server, offline, outbox, sent, rejected };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

async function queueWithFile(r: ReturnType<typeof rig>, clientId = 'c1') {
  const local = await r.offline.keep(png(), 'cat.png');
  await r.outbox.add({
    clientId,
    sessionId: 's1',
    content: 'look',
    attachments: [{ name: 'cat.png', local, size: 7, type: 'image/png' }],
    createdAt: 1,
  });
  await tick();
  return local;
}

describe('OfflineFiles with the outbox', () => {
  it('keeps the file while offline, then uploads before sending and deletes it only after the ack', async () => {
    const r = rig();
    const local = await queueWithFile(r);
    expect(r.server.log).toEqual([]);
    expect(r.outbox.items).toHaveLength(1);
    expect([...r.files.files.keys()]).toEqual([local]);

    r.server.down = false;
    await r.outbox.flush();
    await tick();
    expect(r.server.log).toEqual(['upload cat.png', 'send c1']);
    expect(r.server.messages.get('c1')).toEqual([{ id: 'sha-137.80.78.71.1.2.3', name: 'cat.png' }]);
    expect(r.sent).toEqual(['c1']);
    expect(r.outbox.items).toEqual([]);
    expect(r.files.files.size).toBe(0);
  });

  it('keeps the files until the send is acknowledged: an upload that worked and a send whose answer was lost are retried, once in effect', async () => {
    const r = rig();
    await queueWithFile(r);
    r.server.down = false;
    r.server.loseNextAnswer = true;
    await r.outbox.flush();
    await tick();
    // The server has the message, but the answer was lost: the file stays kept, the ids are stored on the item.
    expect(r.files.files.size).toBe(1);
    expect(r.outbox.items[0].attachments?.[0].id).toBe('sha-137.80.78.71.1.2.3');
    expect(r.outbox.items[0].lastError).toBe('Failed to fetch');

    await r.outbox.flush();
    await tick();
    // No second upload (the id was kept), the resend carries the same client_id: one message with one file.
    expect(r.server.log).toEqual(['upload cat.png', 'send c1', 'send c1']);
    expect(r.server.messages.size).toBe(1);
    expect(r.sent).toEqual(['c1']);
    expect(r.files.files.size).toBe(0);
  });

  it('retries an upload that failed for want of a connection and sends nothing before it worked', async () => {
    const r = rig();
    await queueWithFile(r);
    await r.outbox.flush(); // still down
    expect(r.server.log).toEqual([]);
    expect(r.outbox.items[0].attachments?.[0].id).toBeUndefined();
    expect(r.outbox.items[0].lastError).toBe('Failed to fetch');
    r.server.down = false;
    await r.outbox.flush();
    await tick();
    expect(r.server.log).toEqual(['upload cat.png', 'send c1']);
  });

  it('survives a reload: the queued message and its file are read back and delivered once', async () => {
    const first = rig();
    const local = await queueWithFile(first);
    // A new page on the same storage and file store (the old one is gone without cleanup).
    const again = rig(first.storage, first.files, first.server);
    expect(again.outbox.items.map((i) => i.attachments)).toEqual([[{ name: 'cat.png', local, size: 7, type: 'image/png' }]]);
    expect(await again.offline.get(local)).toMatchObject({ name: 'cat.png', type: 'image/png' });
    await again.offline.sweep(again.outbox.items); // a named file is never swept
    expect(first.files.files.size).toBe(1);
    again.server.down = false;
    await again.outbox.flush();
    await tick();
    expect(again.server.log).toEqual(['upload cat.png', 'send c1']);
    expect(again.files.files.size).toBe(0);
  });

  it('drops a message whose upload is refused (4xx), says why, and frees its files', async () => {
    const r = rig();
    await queueWithFile(r);
    r.server.down = false;
    r.server.refuseUploads = new HttpError(415, 'unsupported_type', 'a PNG that is really a ZIP');
    await r.outbox.flush();
    await tick();
    expect(r.rejected).toEqual(['cat.png: a PNG that is really a ZIP']);
    expect(r.server.log).toEqual([]);
    expect(r.outbox.items).toEqual([]);
    expect(r.files.files.size).toBe(0);
  });

  it('drops a message whose kept file is gone rather than sending it without it', async () => {
    const r = rig();
    await queueWithFile(r);
    r.files.files.clear(); // the user cleared site data
    r.server.down = false;
    await r.outbox.flush();
    expect(r.rejected).toEqual(['cat.png is no longer kept in this browser']);
    expect(r.server.log).toEqual([]);
  });

  it('does not send an item discarded while its files were uploading', async () => {
    const r = rig();
    await queueWithFile(r);
    r.server.down = false;
    const flushing = r.outbox.flush();
    r.outbox.remove('c1');
    await flushing;
    expect(r.server.log).toEqual(['upload cat.png']);
    expect(r.sent).toEqual([]);
  });

  it('sweeps old kept files nothing names, sparing named and recent ones', async () => {
    let now = 1_000_000;
    const r = rig(new MemoryStorage(), new MapFileStore(), new FakeServer(), () => now);
    const named = await queueWithFile(r);
    const orphan = await r.offline.keep(png(), 'left.png');
    now += sweepAfterMs + 1;
    const recent = await r.offline.keep(png(), 'new.png');
    await r.offline.sweep(r.outbox.items);
    expect([...r.files.files.keys()].sort()).toEqual([named, recent].sort());
    expect(r.files.files.has(orphan)).toBe(false);
  });

  it('says why a file cannot be kept (no IndexedDB, quota)', async () => {
    const none = new OfflineFiles({ store: null, upload: async () => Promise.reject(offlineErr()) });
    await expect(none.keep(png(), 'a.png')).rejects.toThrow(/no IndexedDB/);
    const r = rig();
    r.files.failPut = new DOMException('quota exceeded', 'QuotaExceededError');
    await expect(r.offline.keep(png(), 'a.png')).rejects.toThrow(/quota/);
  });

  it('tells retryable upload failures from refusals and lists the kept keys of an item', () => {
    expect(retryableUpload(offlineErr())).toBe(true);
    expect(retryableUpload(new HttpError(503, 'unavailable', 'x'))).toBe(true);
    expect(retryableUpload(new HttpError(429, 'busy', 'x'))).toBe(true);
    expect(retryableUpload(new HttpError(413, 'too_large', 'x'))).toBe(false);
    expect(localKeys({ attachments: [{ id: 'a', name: 'a' }, { name: 'b', local: 'kb' }] })).toEqual(['kb']);
  });
});
