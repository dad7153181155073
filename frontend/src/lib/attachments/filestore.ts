/**
 * Files kept in the browser for a message that could not upload them yet
 * (offline, backend down). IndexedDB holds Blobs across reloads and browser
 * restarts; localStorage (the outbox) only holds the keys.
 *
 * The IndexedDB code is kept thin on purpose: everything that decides what
 * to keep, upload and delete (offline.ts) talks to the small FileStore
 * interface, which the unit tests fake with a Map.
 */

/** A file as kept: its bytes, the name it was added with, and when. */
export interface KeptFile {
  blob: Blob;
  name: string;
  /** The browser's type of the file (for a preview); the server sniffs its own. */
  type: string;
  /** When it was kept (ms since the epoch): the sweep spares recent ones. */
  at: number;
}

/** Where kept files live (IndexedDB in the app, a Map in tests). */
export interface FileStore {
  put(key: string, file: KeptFile): Promise<void>;
  /** The file under `key`, or null when there is none. */
  get(key: string): Promise<KeptFile | null>;
  delete(key: string): Promise<void>;
  /** Every key with when its file was kept. */
  list(): Promise<{ key: string; at: number }[]>;
}

const dbName = 'holdfast-files';
const storeName = 'files';

/** Resolves an IDB request, rejecting with its error. */
function done<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

/** Resolves when a write transaction has committed (a put is durable only then). */
function committed(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/**
 * The FileStore of the app, in IndexedDB database `holdfast-files`. The
 * database opens on first use; when it cannot (private mode, disabled
 * storage) every call rejects with why, and the caller says so on the chip.
 */
export class IdbFileStore implements FileStore {
  readonly #idb: IDBFactory;
  #db: Promise<IDBDatabase> | null = null;

  constructor(idb: IDBFactory) {
    this.#idb = idb;
  }

  #open(): Promise<IDBDatabase> {
    if (!this.#db) {
      const req = this.#idb.open(dbName, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(storeName);
      this.#db = done(req);
      this.#db.catch(() => (this.#db = null)); // try again next time
    }
    return this.#db;
  }

  async #tx(mode: IDBTransactionMode): Promise<{ tx: IDBTransaction; files: IDBObjectStore }> {
    const tx = (await this.#open()).transaction(storeName, mode);
    return { tx, files: tx.objectStore(storeName) };
  }

  async put(key: string, file: KeptFile): Promise<void> {
    const { tx, files } = await this.#tx('readwrite');
    files.put(file, key);
    await committed(tx);
  }

  async get(key: string): Promise<KeptFile | null> {
    const { files } = await this.#tx('readonly');
    const got = (await done(files.get(key))) as KeptFile | undefined;
    return got?.blob instanceof Blob ? got : null;
  }

  async delete(key: string): Promise<void> {
    const { tx, files } = await this.#tx('readwrite');
    files.delete(key);
    await committed(tx);
  }

  async list(): Promise<{ key: string; at: number }[]> {
    const { files } = await this.#tx('readonly');
    const out: { key: string; at: number }[] = [];
    await new Promise<void>((resolve, reject) => {
      const req = files.openCursor();
      req.onerror = () => reject(req.error ?? new Error('IndexedDB cursor failed'));
      req.onsuccess = () => {
        const cur = req.result;
        if (!cur) return resolve();
        out.push({ key: String(cur.key), at: Number((cur.value as KeptFile).at) || 0 });
        cur.continue();
      };
    });
    return out;
  }
}

/** The app's file store, or null when this browser has no IndexedDB at all. */
export function browserFileStore(g: { indexedDB?: IDBFactory } = globalThis): FileStore | null {
  try {
    return g.indexedDB ? new IdbFileStore(g.indexedDB) : null;
  } catch {
    return null; // some browsers throw on merely touching indexedDB when storage is disabled
  }
}
