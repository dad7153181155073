// Importing chats from other apps (and Holdfast's own exports): upload the
// file, follow the background job by polling, cancel it, and say what it
// did. docs/protocol.md, Import, describes the endpoints.

import { afterFailure, httpErrorFrom, joinUrl } from './http';
import type { Credentials } from './stream/types';

export type ImportState = 'running' | 'done' | 'cancelled' | 'failed';

export interface ImportProgress {
  total: number;
  done: number;
  imported: number;
  skipped: number;
}

export interface ImportSkip {
  index: number;
  source_id: string;
  title: string;
  reason: string;
  duplicate: boolean;
}

export interface ImportSummary {
  format: string;
  dry_run: boolean;
  total: number;
  imported: number;
  messages: number;
  duplicates: number;
  failed: number;
  skipped: ImportSkip[] | null;
  notes: { session_id: string; title: string; text: string }[] | null;
  cancelled: boolean;
}

export interface ImportStatus {
  id: string;
  name: string;
  state: ImportState;
  progress: ImportProgress;
  summary: ImportSummary | null;
  error: string;
  started_at: string;
  finished_at: string | null;
}

/** Where the client gets its credentials (Api.credentials fits). */
export type CredentialSource = (fresh?: boolean) => Promise<Credentials>;

/** How often a running import is polled. */
export const POLL_MS = 250;

/** The import endpoints. Uploads send the file as is (no JSON, no form). */
export class ImportClient {
  readonly #creds: CredentialSource;
  readonly #fetch: typeof fetch;

  constructor(creds: CredentialSource, fetchFn?: typeof fetch) {
    this.#creds = creds;
    this.#fetch = fetchFn ?? globalThis.fetch.bind(globalThis);
  }

  async #call(method: string, path: string, body?: Blob): Promise<ImportStatus> {
    for (let attempt = 0; ; attempt++) {
      const creds = await this.#creds(attempt > 0);
      const res = await this.#fetch(joinUrl(creds.baseUrl, path), {
        method,
        headers: {
          Authorization: `Bearer ${creds.token}`,
          Accept: 'application/json',
          ...(body ? { 'Content-Type': 'application/octet-stream' } : {}),
        },
        body,
        cache: 'no-store',
      });
      if (!res.ok) {
        // Only a 401 is worth one more try (fresh token); an upload is
        // never sent twice otherwise.
        if (afterFailure(res.status, attempt > 0) === 'refresh') continue;
        throw await httpErrorFrom(res);
      }
      return ((await res.json()) as { import: ImportStatus }).import;
    }
  }

  /** Uploads `file` and starts importing it; the job runs on in the background. */
  start(file: Blob, name: string, format = 'auto'): Promise<ImportStatus> {
    const q = new URLSearchParams({ name, format });
    return this.#call('POST', `/api/imports?${q}`, file);
  }

  status(id: string): Promise<ImportStatus> {
    return this.#call('GET', `/api/imports/${encodeURIComponent(id)}`);
  }

  cancel(id: string): Promise<ImportStatus> {
    return this.#call('POST', `/api/imports/${encodeURIComponent(id)}/cancel`);
  }

  /**
   * Polls the job until it ends, calling `onStatus` with every status
   * (the first one at once). `sleep` is for tests.
   */
  async follow(
    id: string,
    onStatus: (s: ImportStatus) => void,
    opts: { signal?: AbortSignal; sleep?: (ms: number) => Promise<void> } = {},
  ): Promise<ImportStatus> {
    const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    for (;;) {
      const s = await this.status(id);
      onStatus(s);
      if (s.state !== 'running') return s;
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
      await sleep(POLL_MS);
    }
  }
}

/** Share done, 0..1; null while the file is still being counted. */
export function fraction(p: ImportProgress): number | null {
  if (p.total <= 0) return null;
  return Math.min(1, Math.max(0, p.done / p.total));
}

function chats(n: number): string {
  return `${n.toLocaleString('en')} ${n === 1 ? 'chat' : 'chats'}`;
}

/** One line for the progress bar: "1,200 of 5,000 chats". */
export function progressText(p: ImportProgress): string {
  if (p.total <= 0) return 'Reading the file…';
  return `${p.done.toLocaleString('en')} of ${chats(p.total)}`;
}

/** What a finished job did, in one sentence, then one line per reason. */
export function summaryLines(s: ImportStatus): string[] {
  if (s.state === 'failed') return [`Import failed: ${s.error}`];
  const sum = s.summary;
  if (!sum) return [];
  const head =
    (s.state === 'cancelled' ? 'Cancelled. ' : '') +
    `Imported ${chats(sum.imported)} (${sum.messages.toLocaleString('en')} messages) of ${sum.total.toLocaleString('en')}` +
    (sum.duplicates ? `; ${sum.duplicates.toLocaleString('en')} already imported` : '') +
    (sum.failed ? `; ${sum.failed.toLocaleString('en')} skipped` : '') +
    '.';
  const lines = [head];
  for (const k of sum.skipped ?? []) lines.push(`Skipped ${k.title ? `“${k.title}”` : `#${k.index + 1}`}: ${k.reason}`);
  if (sum.failed > (sum.skipped?.length ?? 0)) lines.push(`… and ${sum.failed - (sum.skipped?.length ?? 0)} more skipped`);
  if (s.state === 'cancelled') lines.push('The chats imported so far are complete; import the file again to bring in the rest.');
  return lines;
}

/** Whether a drag carries files (not text or a link dragged from the page). */
export function carriesFiles(dt: DataTransfer | null | undefined): boolean {
  return !!dt && Array.from(dt.types ?? []).includes('Files');
}

/** The one file of a drop, or an error saying why there is none to import. */
export function droppedFile(dt: DataTransfer | null | undefined): File | string {
  const files = dt?.files;
  if (!files || files.length === 0) return 'Drop an export file (.json, .jsonl or .zip) to import it.';
  if (files.length > 1) return 'Drop one export file at a time.';
  return files[0];
}

/** The types a browser gives export files (.jsonl often has none). */
const exportTypes = new Set(['', 'application/json', 'application/zip', 'application/x-zip-compressed', 'application/jsonl', 'application/x-ndjson']);
const exportName = /\.(json|jsonl|zip)$/i;

/**
 * Where a file drag goes: one export file (.json, .jsonl, .zip) dropped
 * anywhere but the composer is imported; everything else, and anything
 * dropped on the composer (an element marked data-drop="attach"), is
 * attached to the next message. While dragging only the files' types are
 * known (browsers hide names until the drop), so the guess is by type.
 */
export function dropIntent(dt: DataTransfer | null | undefined, target: EventTarget | null): 'import' | 'attach' {
  if (target && typeof (target as Element).closest === 'function' && (target as Element).closest('[data-drop="attach"]')) return 'attach';
  const files = Array.from(dt?.files ?? []);
  if (files.length > 0) return files.length === 1 && exportName.test(files[0].name) ? 'import' : 'attach';
  const items = Array.from(dt?.items ?? []).filter((i) => i.kind === 'file');
  return items.length === 1 && exportTypes.has(items[0].type) ? 'import' : 'attach';
}
