import { describe, expect, it } from 'vitest';
import { Api } from '../api';
import { percent, progressReporter, showsProgress, xhrPost, type XhrLike } from './progress';

/** An XMLHttpRequest that records what it was asked and lets the test drive its events. */
class FakeXhr implements XhrLike {
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: Blob | null = null;
  aborted = false;
  status = 0;
  responseText = '';
  responseHeaders = '';
  upload: XhrLike['upload'] = { onprogress: null };
  onload: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onabort: (() => void) | null = null;
  ontimeout: (() => void) | null = null;
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  send(body: Blob) {
    this.body = body;
  }
  abort() {
    this.aborted = true;
    this.onabort?.();
  }
  getAllResponseHeaders() {
    return this.responseHeaders;
  }
  progress(loaded: number, total: number) {
    this.upload.onprogress?.({ loaded, total, lengthComputable: true });
  }
  answer(status: number, body: string) {
    this.status = status;
    this.responseText = body;
    this.responseHeaders = 'content-type: application/json\r\n';
    this.onload?.();
  }
}

describe('upload progress', () => {
  it('shows progress for files over 1 MB only', () => {
    expect(showsProgress(1024 * 1024)).toBe(false);
    expect(showsProgress(1024 * 1024 + 1)).toBe(true);
  });

  it('computes whole percents, clamped, and reports each once and never backwards', () => {
    expect(percent(0, 0)).toBe(0);
    expect(percent(1, 3)).toBe(33);
    expect(percent(5, 4)).toBe(100);
    const seen: number[] = [];
    const report = progressReporter((p) => seen.push(p));
    for (const loaded of [0, 10, 11, 50, 40, 100, 100]) report(loaded, 100);
    expect(seen).toEqual([0, 10, 11, 50, 100]);
  });

  it('posts with XMLHttpRequest, reporting progress, and answers a Response', async () => {
    const xhr = new FakeXhr();
    const seen: number[] = [];
    const body = new Blob([new Uint8Array(1000)]);
    const res = xhrPost(xhr, 'http://127.0.0.1:1/api/attachments?name=a', { Authorization: 'Bearer t' }, body, (p) => seen.push(p));
    expect([xhr.method, xhr.url, xhr.headers, xhr.body]).toEqual(['POST', 'http://127.0.0.1:1/api/attachments?name=a', { Authorization: 'Bearer t' }, body]);
    xhr.progress(250, 1000);
    xhr.progress(900, 1000);
    xhr.answer(201, '{"id":"abc"}');
    const r = await res;
    expect(r.status).toBe(201);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(await r.json()).toEqual({ id: 'abc' });
    expect(seen).toEqual([25, 90, 100]);
  });

  it('rejects a network failure with a TypeError, as fetch does, and an abort with its reason', async () => {
    const xhr = new FakeXhr();
    const failed = xhrPost(xhr, 'http://x/', {}, new Blob(['x']), () => {});
    xhr.onerror?.();
    await expect(failed).rejects.toBeInstanceOf(TypeError);

    const ctl = new AbortController();
    const xhr2 = new FakeXhr();
    const aborted = xhrPost(xhr2, 'http://x/', {}, new Blob(['x']), () => {}, ctl.signal);
    ctl.abort(new Error('removed'));
    await expect(aborted).rejects.toThrow('removed');
    expect(xhr2.aborted).toBe(true);
  });

  it('Api uploads by XMLHttpRequest with the same URL and headers as fetch when progress is asked for', async () => {
    const xhrs: FakeXhr[] = [];
    const fetched: { url: string; headers: unknown }[] = [];
    const fetchFn = (async (url: string, init: RequestInit) => {
      fetched.push({ url, headers: init.headers });
      return new Response('{"id":"f"}', { status: 201 });
    }) as unknown as typeof fetch;
    const api = new Api(async () => ({ baseUrl: 'http://127.0.0.1:7/', token: 'tok' }), fetchFn, () => {
      const x = new FakeXhr();
      xhrs.push(x);
      return x;
    });
    await api.uploadAttachment(new Blob(['small']), 'a b.txt');
    const seen: number[] = [];
    const big = api.uploadAttachment(new Blob(['big']), 'a b.txt', { onProgress: (p) => seen.push(p) });
    await new Promise((r) => setTimeout(r, 0));
    expect(xhrs).toHaveLength(1);
    expect(xhrs[0].url).toBe(fetched[0].url);
    expect(xhrs[0].url).toBe('http://127.0.0.1:7/api/attachments?name=a+b.txt');
    expect(xhrs[0].headers).toEqual(fetched[0].headers);
    expect(xhrs[0].headers.Authorization).toBe('Bearer tok');
    xhrs[0].progress(1, 3);
    xhrs[0].answer(413, '{"error":{"code":"too_large","message":"over 20 MB"}}');
    await expect(big).rejects.toMatchObject({ status: 413, code: 'too_large' });
    expect(seen).toEqual([33]);
  });
});
