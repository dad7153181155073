/**
 * Files on a message being written: the chips under the composer. Each
 * file uploads as soon as it is added (so sending waits for little); the
 * message names the uploads by id once all of them are stored. A file that
 * cannot reach the server (offline, backend down) is kept in the browser
 * instead (offline.ts) and the message names it by its local key; the
 * outbox uploads it before sending.
 */

/** Limits the server enforces (docs/attachments.md); checked here first for a quick message. */
export const MAX_FILE_BYTES = 20 * 1024 * 1024;
export const MAX_FILES = 10;

/** A stored file, as the server describes it. */
export interface Attachment {
  id: string;
  name: string;
  size: number;
  mime: string;
  kind: 'image' | 'pdf' | 'text';
  width?: number;
  height?: number;
}

/** What a message names: an upload and the name to show. */
export interface AttachmentRef {
  id: string;
  name: string;
}

/**
 * A file a queued message names: uploaded (`id`), or kept in this browser
 * (`local`, an IndexedDB key) until it can be uploaded; then both.
 */
export interface QueuedRef {
  id?: string;
  name: string;
  local?: string;
  size?: number;
  /** The browser's type, for a preview in the queued bubble. */
  type?: string;
}

/** `waiting`: the upload could not reach the server; the file is kept in the browser for the outbox. */
export type DraftState = 'uploading' | 'ready' | 'waiting' | 'failed';

/** One chip: a file the user added, and how its upload goes. */
export interface DraftFile {
  key: string;
  /** The bytes to upload; absent for a file the desktop app stored itself (its dialog). */
  file?: File;
  name: string;
  size: number;
  /** An object URL to preview images with (revoke on remove). */
  preview?: string;
  state: DraftState;
  error?: string;
  stored?: Attachment;
  /** Its key in the browser's file store while `waiting`. */
  local?: string;
  /** Upload progress in percent, for big files while `uploading`. */
  progress?: number;
}

/** Why files cannot be added, or null: too many, too big, empty. */
export function checkAdd(current: number, files: { name: string; size: number }[]): string | null {
  if (current + files.length > MAX_FILES) return `at most ${MAX_FILES} files per message`;
  for (const f of files) {
    if (f.size === 0) return `${f.name} is empty`;
    if (f.size > MAX_FILE_BYTES) return `${f.name} is ${formatSize(f.size)}; the limit is 20 MB`;
  }
  return null;
}

/**
 * The refs a message is sent with, or null while any upload is unfinished
 * or failed. A file kept in the browser goes by its local key.
 */
export function readyRefs(drafts: DraftFile[]): QueuedRef[] | null {
  const refs: QueuedRef[] = [];
  for (const d of drafts) {
    if (d.state === 'ready' && d.stored) refs.push({ id: d.stored.id, name: d.name, size: d.stored.size, type: d.stored.mime });
    else if (d.state === 'waiting' && d.local) refs.push({ name: d.name, local: d.local, size: d.size, type: d.file?.type ?? '' });
    else return null;
  }
  return refs;
}

/** A byte count as people read it. */
export function formatSize(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} bytes`;
}

/** Whether the browser may preview the file as an image (raster types only; never SVG). */
export function previewable(type: string): boolean {
  return ['image/png', 'image/jpeg', 'image/gif', 'image/webp'].includes(type);
}

/** A name for a pasted image that came without one. */
export function pastedName(type: string, now: Date): string {
  const ext = { 'image/png': 'png', 'image/jpeg': 'jpg', 'image/gif': 'gif', 'image/webp': 'webp' }[type] ?? 'bin';
  const p = (n: number) => String(n).padStart(2, '0');
  return `pasted ${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())} ${p(now.getHours())}.${p(now.getMinutes())}.${p(now.getSeconds())}.${ext}`;
}

/** A chip for a file already stored (the desktop app's dialog stores what it picks): ready to send. */
export function storedDraft(key: string, a: Attachment): DraftFile {
  return { key, name: a.name, size: a.size, state: 'ready', stored: a };
}

/** Whether a chip's preview is an object URL it made from its own file (revoke it); a stored file's thumbnail belongs to the page's image cache. */
export function ownPreview(d: DraftFile): boolean {
  return !!d.file && !!d.preview;
}
