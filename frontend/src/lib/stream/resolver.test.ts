import { describe, expect, it, vi } from 'vitest';
import { BackendDownError } from './client';
import { streamTuning } from './tuning';
import { browserResolver, captureTokenFromHash, defaultResolver, findWailsApp, MissingTokenError, type BrowserLike } from './resolver';

function fakeWindow(url: string): BrowserLike & { url: string; store: Map<string, string> } {
  const u = new URL(url);
  const store = new Map<string, string>();
  const w = {
    url,
    store,
    location: { hash: u.hash, origin: u.origin, pathname: u.pathname, search: u.search },
    history: {
      state: null,
      replaceState(_d: unknown, _t: string, next?: string) {
        const n = new URL(next ?? '', w.url);
        w.url = n.toString();
        w.location.hash = n.hash;
      },
    },
    sessionStorage: { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) },
  };
  return w;
}

describe('browser resolver', () => {
  it('moves #token= into sessionStorage and out of the address bar', async () => {
    const w = fakeWindow('http://127.0.0.1:4411/?x=1#token=abc123');
    const creds = await browserResolver(w)();
    expect(creds).toEqual({ baseUrl: 'http://127.0.0.1:4411', token: 'abc123' });
    expect(w.url).toBe('http://127.0.0.1:4411/?x=1');
    expect(w.store.get('holdfast.token')).toBe('abc123');
    // Later calls (reloads of the tab) still find it.
    expect((await browserResolver(w)()).token).toBe('abc123');
  });

  it('keeps other fragment parameters', () => {
    const w = fakeWindow('http://localhost:1/#token=t&session=s_1');
    captureTokenFromHash(w);
    expect(w.url).toBe('http://localhost:1/#session=s_1');
  });

  it('fails as unauthorized when there is no token anywhere', async () => {
    const w = fakeWindow('http://localhost:1/');
    await expect(browserResolver(w)()).rejects.toBeInstanceOf(MissingTokenError);
    await expect(browserResolver(w)()).rejects.toMatchObject({ status: 401 });
  });
});

describe('desktop resolver', () => {
  it('uses the Wails binding when present, asking it on every call', async () => {
    const ConnectionInfo = vi
      .fn()
      .mockResolvedValueOnce({ baseUrl: 'http://127.0.0.1:5001', token: 'a' })
      .mockResolvedValueOnce({ baseUrl: 'http://127.0.0.1:5002', token: 'b' });
    const w = { ...fakeWindow('wails://wails/'), go: { app: { App: { ConnectionInfo } } } };
    expect(findWailsApp(w)).not.toBeNull();
    const resolve = defaultResolver(w as unknown as Window & typeof globalThis);
    expect(await resolve()).toEqual({ baseUrl: 'http://127.0.0.1:5001', token: 'a', local: true });
    expect(await resolve({ fresh: true })).toEqual({ baseUrl: 'http://127.0.0.1:5002', token: 'b', local: true });
  });

  it('falls back to the browser when there is no binding', async () => {
    expect(findWailsApp({})).toBeNull();
    expect(findWailsApp({ go: { app: { App: {} } } })).toBeNull();
    const w = fakeWindow('http://127.0.0.1:7/#token=z');
    expect(await defaultResolver(w as unknown as Window & typeof globalThis)()).toEqual({ baseUrl: 'http://127.0.0.1:7', token: 'z' });
  });

  it('says the backend is down when the binding reports it (it failed to restart)', async () => {
    const w = { go: { app: { App: { ConnectionInfo: async () => ({ token: 't', down: 'listen on 127.0.0.1:4000: address already in use' }) } } } };
    const err = await defaultResolver(w as unknown as Window & typeof globalThis)().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendDownError);
    expect((err as Error).message).toMatch(/address already in use/);
  });

  it('rejects an empty answer from the binding', async () => {
    const w = { go: { app: { App: { ConnectionInfo: async () => ({ baseUrl: '', token: '' }) } } } };
    await expect(defaultResolver(w as unknown as Window & typeof globalThis)()).rejects.toThrow(/no connection info/);
  });
});

describe('stream tuning', () => {
  it.each([
    ['?downAfterMs=3000', null, 3000],
    ['', '1500', 1500],
    ['?downAfterMs=0', '9', 0],
    ['?downAfterMs=soon', null, undefined],
    ['', ' ', undefined],
    ['', null, undefined],
  ])('search %j, localStorage %j: downAfterMs %j', (search, stored, want) => {
    const t = streamTuning({ location: { search }, localStorage: { getItem: () => stored } });
    expect(t.downAfterMs).toBe(want);
    expect(t.local).toBeUndefined();
  });

  it('inside the desktop window the backend is local', () => {
    const w = { location: { search: '' }, go: { app: { App: { ConnectionInfo: async () => ({ baseUrl: '', token: '' }) } } } };
    expect(streamTuning(w).local).toBe(true);
  });
});
