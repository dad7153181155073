// Importing chats from other apps (and Holdfast's own exports): upload the
// file, follow the background job by polling, cancel it, and say what it
// did. docs/protocol.md, Import, describes the endpoints.

import { afterFailure, httpErrorFrom, joinUrl } from './http';
import type { I18n, MessageKey } from './i18n.svelte';
import { errorText } from './server-text';
import type { Credentials } from './stream/types';

/** The texts' language (an I18n fits). */
export type Lookup = Pick<I18n, 't' | 'locale' | 'has'>;

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
  /** Attached files stored (Holdfast exports); missing_files: not found or refused, named in their messages. */
  files?: number;
  missing_files?: number;
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
  /** Why a failed job failed, for translation: unknown_format, unreadable, storage_busy, storage_full. */
  error_code?: string;
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

function num(i18n: Lookup, n: number): string {
  return n.toLocaleString(i18n.locale === 'zh' ? 'zh-CN' : 'en');
}

function chats(i18n: Lookup, n: number): string {
  return i18n.t(n === 1 ? 'import.chat' : 'import.chats', { n: num(i18n, n) });
}

/** One line for the progress bar: "1,200 of 5,000 chats". */
export function progressText(i18n: Lookup, p: ImportProgress): string {
  if (p.total <= 0) return i18n.t('import.reading');
  return i18n.t('import.progress', { done: num(i18n, p.done), total: chats(i18n, p.total) });
}

/** Why a job failed, in the UI's language (by its code; the server's words in English). */
export function failureReason(i18n: Lookup, s: Pick<ImportStatus, 'error' | 'error_code'>): string {
  return errorText(i18n, s.error_code ? `import_${s.error_code}` : undefined, s.error);
}

/** What a finished job did, in one sentence, then one line per reason. */
export function summaryLines(i18n: Lookup, s: ImportStatus): string[] {
  if (s.state === 'failed') return [i18n.t('import.failed', { reason: failureReason(i18n, s) })];
  const sum = s.summary;
  if (!sum) return [];
  const more: string[] = [];
  if (sum.duplicates) more.push(i18n.t('import.duplicates', { n: num(i18n, sum.duplicates) }));
  if (sum.failed) more.push(i18n.t('import.skippedCount', { n: num(i18n, sum.failed) }));
  if (sum.files) more.push(i18n.t('import.files', { n: num(i18n, sum.files) }));
  if (sum.missing_files) more.push(i18n.t('import.missingFiles', { n: num(i18n, sum.missing_files) }));
  const head =
    (s.state === 'cancelled' ? i18n.t('import.cancelledPrefix') : '') +
    i18n.t('import.summary', { chats: chats(i18n, sum.imported), messages: num(i18n, sum.messages), total: num(i18n, sum.total), more: more.join('') });
  const lines = [head];
  for (const k of sum.skipped ?? []) {
    const what = k.title ? i18n.t('import.quoted', { title: k.title }) : `#${k.index + 1}`;
    lines.push(i18n.t('import.skipped', { what, reason: k.reason }));
  }
  const unlisted = sum.failed - (sum.skipped?.length ?? 0);
  if (unlisted > 0) lines.push(i18n.t('import.moreSkipped', { n: num(i18n, unlisted) }));
  if (s.state === 'cancelled') lines.push(i18n.t('import.cancelledNote'));
  return lines;
}

/** Whether a drag carries files (not text or a link dragged from the page). */
export function carriesFiles(dt: DataTransfer | null | undefined): boolean {
  return !!dt && Array.from(dt.types ?? []).includes('Files');
}

/** The one file of a drop, or the text (its key) saying why there is none to import. */
export function droppedFile(dt: DataTransfer | null | undefined): File | MessageKey {
  const files = dt?.files;
  if (!files || files.length === 0) return 'import.dropNone';
  if (files.length > 1) return 'import.dropMany';
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
