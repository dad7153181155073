/**
 * Files of messages queued offline: kept in the browser's file store until
 * the upload and the send have both succeeded.
 *
 * The order is fixed: the outbox item is stored (localStorage) naming the
 * kept files by key; when the server is reachable, `prepare` uploads each
 * kept file (the server stores by hash, so repeating an upload whose answer
 * was lost is harmless) and the ids are stored on the item before the send;
 * the send carries the item's client_id (the server acts on it once); only
 * after the server acknowledged the send does `release` delete the files.
 * A crash at any point leaves either the files with their item (delivered
 * on the next start) or files nothing names (swept).
 */
import { HttpError, isFatalStatus } from '../http';
import { PermanentSendError, type OutboxItem } from '../stream/outbox';
import type { Attachment, QueuedRef } from './attachments';
import type { FileStore, KeptFile } from './filestore';

/** Kept files nothing names are deleted once they are this old (another tab may be about to queue its own). */
export const sweepAfterMs = 60 * 60 * 1000;

export interface OfflineFilesOptions {
  /** Null when this browser cannot keep files (no IndexedDB). */
  store: FileStore | null;
  /** Uploads one file (Api.uploadAttachment). */
  upload: (file: Blob, name: string) => Promise<Attachment>;
  now?: () => number;
  newKey?: () => string;
}

/** Whether an upload failed for want of a connection (kept and retried) rather than being refused (4xx). */
export function retryableUpload(err: unknown): boolean {
  return !(err instanceof HttpError) || !isFatalStatus(err.status);
}

/** The kept files an item names. */
export function localKeys(item: Pick<OutboxItem, 'attachments'>): string[] {
  return (item.attachments ?? []).flatMap((a) => (a.local ? [a.local] : []));
}

/** Keeps, uploads and deletes the files of messages queued offline. */
export class OfflineFiles {
  readonly #opts: OfflineFilesOptions;
  readonly #now: () => number;
  readonly #newKey: () => string;

  constructor(opts: OfflineFilesOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? Date.now;
    this.#newKey = opts.newKey ?? (() => `file-${crypto.randomUUID()}`);
  }

  /**
   * Keeps `file` in the browser and returns its key. Rejects with why when
   * it cannot (no IndexedDB, private mode, quota): the chip says so.
   */
  async keep(file: Blob, name: string): Promise<string> {
    const { store } = this.#opts;
    if (!store) throw new Error('this browser has no IndexedDB');
    const key = this.#newKey();
    await store.put(key, { blob: file, name, type: file.type, at: this.#now() });
    return key;
  }

  /** The kept file under `key`, or null (gone, or no store). */
  async get(key: string): Promise<KeptFile | null> {
    try {
      return (await this.#opts.store?.get(key)) ?? null;
    } catch {
      return null;
    }
  }

  /** Deletes kept files (a chip removed, a message sent or dropped); failures only leave work for the sweep. */
  async forget(keys: readonly string[]): Promise<void> {
    const { store } = this.#opts;
    if (!store) return;
    for (const key of keys) {
      try {
        await store.delete(key);
      } catch (err) {
        console.warn('holdfast: cannot delete a kept file', err);
      }
    }
  }

  /**
   * Uploads the files `item` keeps in the browser and returns the item with
   * their ids (the same item when there is nothing to upload). A network
   * failure rejects as is (the outbox retries later); a refusal, or a kept
   * file that is gone, rejects with PermanentSendError (retrying cannot help).
   */
  async prepare(item: OutboxItem): Promise<OutboxItem> {
    const refs = item.attachments;
    if (!refs?.some((a) => a.local && !a.id)) return item;
    const out: QueuedRef[] = [];
    for (const ref of refs) {
      if (ref.id || !ref.local) {
        out.push(ref);
        continue;
      }
      const kept = await this.get(ref.local);
      if (!kept) throw new PermanentSendError(`${ref.name} is no longer kept in this browser`);
      let stored: Attachment;
      try {
        stored = await this.#opts.upload(kept.blob, ref.name);
      } catch (err) {
        if (!retryableUpload(err)) throw new PermanentSendError(`${ref.name}: ${(err as Error).message}`);
        throw err;
      }
      out.push({ ...ref, id: stored.id });
    }
    return { ...item, attachments: out };
  }

  /** Deletes the kept files of an item that is done with them (acknowledged, refused or discarded). */
  release(item: Pick<OutboxItem, 'attachments'>): Promise<void> {
    return this.forget(localKeys(item));
  }

  /**
   * Deletes kept files no pending item names (left by a crash between
   * keeping and queueing, or between the send and its cleanup, or by chips
   * never sent), sparing recent ones: another tab may be about to queue them.
   */
  async sweep(pending: readonly Pick<OutboxItem, 'attachments'>[]): Promise<void> {
    const { store } = this.#opts;
    if (!store) return;
    const named = new Set(pending.flatMap(localKeys));
    let kept: { key: string; at: number }[];
    try {
      kept = await store.list();
    } catch {
      return; // no IndexedDB here: nothing was kept
    }
    const old = this.#now() - sweepAfterMs;
    await this.forget(kept.filter((k) => !named.has(k.key) && k.at < old).map((k) => k.key));
  }
}
