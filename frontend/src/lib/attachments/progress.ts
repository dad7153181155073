/**
 * Upload progress for big files. fetch() reports no upload progress (a
 * streaming request body would need HTTP/2 and duplex, which the loopback
 * server does not speak), so big files go by XMLHttpRequest, whose
 * `upload.onprogress` does; the request is otherwise the same as fetch's
 * (api.ts builds the URL and the headers for both).
 */

/** Files above this size show a progress bar; smaller ones are done before one would be seen. */
export const progressFromBytes = 1024 * 1024;

/** Whether a file of `size` bytes shows upload progress. */
export function showsProgress(size: number): boolean {
  return size > progressFromBytes;
}

/** Whole percent of `loaded` out of `total`, 0 to 100. */
export function percent(loaded: number, total: number): number {
  if (!(total > 0)) return 0;
  return Math.max(0, Math.min(100, Math.floor((loaded * 100) / total)));
}

/**
 * Turns byte counts into percent calls, once per whole percent and never
 * backwards (a chip's bar re-renders only when what it shows changes).
 */
export function progressReporter(onPercent: (p: number) => void): (loaded: number, total: number) => void {
  let last = -1;
  return (loaded, total) => {
    const p = percent(loaded, total);
    if (p <= last) return;
    last = p;
    onPercent(p);
  };
}

/** The part of XMLHttpRequest the upload uses (a fake in tests). */
export interface XhrLike {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  send(body: Blob): void;
  abort(): void;
  getAllResponseHeaders(): string;
  readonly status: number;
  readonly responseText: string;
  upload: { onprogress: ((ev: { loaded: number; total: number; lengthComputable: boolean }) => void) | null };
  onload: (() => void) | null;
  onerror: (() => void) | null;
  onabort: (() => void) | null;
  ontimeout: (() => void) | null;
}

/** Parses `getAllResponseHeaders()` into Headers. */
function parseHeaders(raw: string): Headers {
  const h = new Headers();
  for (const line of raw.trim().split(/[\r\n]+/)) {
    const i = line.indexOf(':');
    if (i > 0) {
      try {
        h.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
      } catch {
        // A header Headers will not take: not one we read.
      }
    }
  }
  return h;
}

/**
 * POSTs `body` with XMLHttpRequest, calling `onProgress` with the percent
 * sent, and answers a Response like fetch's: a network failure rejects with
 * a TypeError (as fetch does, so the callers' "network error" rules hold),
 * an abort with the signal's reason.
 */
export function xhrPost(
  xhr: XhrLike,
  url: string,
  headers: Record<string, string>,
  body: Blob,
  onProgress: (p: number) => void,
  signal?: AbortSignal,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const report = progressReporter(onProgress);
    const onAbort = () => xhr.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => signal?.removeEventListener('abort', onAbort);
    xhr.open('POST', url);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (ev) => report(ev.loaded, ev.lengthComputable ? ev.total : body.size);
    xhr.onload = () => {
      settle();
      if (xhr.status >= 200 && xhr.status < 300) report(body.size, body.size);
      try {
        resolve(new Response(xhr.status === 204 ? null : xhr.responseText, { status: xhr.status, headers: parseHeaders(xhr.getAllResponseHeaders()) }));
      } catch (err) {
        reject(err);
      }
    };
    xhr.onerror = () => {
      settle();
      reject(new TypeError('upload failed: network error'));
    };
    xhr.ontimeout = xhr.onerror;
    xhr.onabort = () => {
      settle();
      reject(signal?.reason ?? new DOMException('upload aborted', 'AbortError'));
    };
    xhr.send(body);
  });
}
