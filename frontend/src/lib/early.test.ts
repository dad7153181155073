import { describe, expect, it, vi } from 'vitest';
import { Api } from './api';
import { firstPageUrl, sessionPageSize, startEarly, withEarly, type EarlyRequest } from './early';

function fakeWindow(url: string) {
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

const page = (ids: string[]) => new Response(JSON.stringify({ sessions: ids.map((id) => ({ id })), next_cursor: '' }), { headers: { 'X-Event-Head': 'e_7' } });

/** A network that records what was asked and answers from `answer`. */
function network(answer: (url: string) => Response | Promise<Response> = () => page(['s_net'])) {
  const asked: { url: string; init?: RequestInit }[] = [];
  const fetchFn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    asked.push({ url: String(input), init });
    return answer(String(input));
  }) as unknown as typeof fetch;
  return { asked, fetchFn };
}

describe('the early first page', () => {
  it('is asked for with the token from the address bar, which leaves it', () => {
    const w = fakeWindow('http://127.0.0.1:4411/#token=abc');
    const net = network();
    const early = startEarly(w, net.fetchFn);
    expect(early).toMatchObject({ url: `http://127.0.0.1:4411/api/sessions?limit=${sessionPageSize}`, token: 'abc' });
    expect(w.url).toBe('http://127.0.0.1:4411/');
    expect(w.store.get('holdfast.token')).toBe('abc');
    expect(net.asked).toHaveLength(1);
    expect(net.asked[0].url).toBe(firstPageUrl('http://127.0.0.1:4411'));
    expect(new Headers(net.asked[0].init?.headers).get('Authorization')).toBe('Bearer abc');
    expect(net.asked[0].init?.cache).toBe('no-store');
  });

  it('uses the tab’s stored token after a reload', () => {
    const w = fakeWindow('http://127.0.0.1:4411/');
    w.store.set('holdfast.token', 'kept');
    expect(startEarly(w, network().fetchFn)?.token).toBe('kept');
  });

  it('asks for nothing without a token or off http (the desktop window gets its own later)', () => {
    const net = network();
    expect(startEarly(fakeWindow('http://127.0.0.1:4411/'), net.fetchFn)).toBeNull();
    const wails = fakeWindow('wails://wails/');
    wails.store.set('holdfast.token', 'x');
    expect(startEarly(wails, net.fetchFn)).toBeNull();
    expect(net.asked).toHaveLength(0);
  });

  it('answers the app’s first-page request once; everything else goes to the network', async () => {
    const w = fakeWindow('http://127.0.0.1:4411/#token=abc');
    const early = startEarly(w, network(() => page(['s_early'])).fetchFn);
    const net = network();
    const api = new Api(async () => ({ baseUrl: 'http://127.0.0.1:4411', token: 'abc' }), withEarly(early, net.fetchFn));

    const first = await api.listSessions({ limit: sessionPageSize });
    expect(first.data.sessions.map((s) => s.id)).toEqual(['s_early']);
    expect(first.head).toBe('e_7');
    expect(net.asked).toHaveLength(0);

    // The same request again is a new one.
    expect((await api.listSessions({ limit: sessionPageSize })).data.sessions.map((s) => s.id)).toEqual(['s_net']);
    // So is a different page.
    await api.listSessions({ limit: sessionPageSize, cursor: 'c1' });
    expect(net.asked.map((a) => a.url)).toEqual([firstPageUrl('http://127.0.0.1:4411'), `${firstPageUrl('http://127.0.0.1:4411')}&cursor=c1`]);
  });

  it('is not given to a request with another token, origin or method', async () => {
    const early: EarlyRequest = { url: firstPageUrl('http://127.0.0.1:4411'), token: 'abc', response: Promise.resolve(page(['s_early'])) };
    const net = network();
    const f = withEarly(early, net.fetchFn);
    await f(early.url, { headers: { Authorization: 'Bearer other' } });
    await f(firstPageUrl('http://127.0.0.1:9'), { headers: { Authorization: 'Bearer abc' } });
    await f(early.url, { method: 'POST', headers: { Authorization: 'Bearer abc' }, body: '{}' });
    expect(net.asked).toHaveLength(3);
    const r = await f(early.url, { headers: { Authorization: 'Bearer abc' } });
    expect(await r.json()).toMatchObject({ sessions: [{ id: 's_early' }] });
    expect(net.asked).toHaveLength(3);
  });

  it('still aborts: the taker sees the signal’s reason, as with fetch', async () => {
    let answer!: (r: Response) => void;
    const early: EarlyRequest = { url: firstPageUrl('http://127.0.0.1:4411'), token: 'abc', response: new Promise((r) => (answer = r)) };
    const f = withEarly(early, network().fetchFn);
    const ctl = new AbortController();
    const taken = f(early.url, { headers: { Authorization: 'Bearer abc' }, signal: ctl.signal });
    const reason = new TypeError('watchdog');
    ctl.abort(reason);
    await expect(taken).rejects.toBe(reason);
    answer(page([]));
  });

  it('passes a failure on to the taker, who retries over the network', async () => {
    const early: EarlyRequest = { url: firstPageUrl('http://127.0.0.1:4411'), token: 'abc', response: Promise.reject(new TypeError('Failed to fetch')) };
    early.response.catch(() => {});
    const net = network();
    const api = new Api(async () => ({ baseUrl: 'http://127.0.0.1:4411', token: 'abc' }), withEarly(early, net.fetchFn));
    await expect(api.listSessions({ limit: sessionPageSize })).rejects.toThrow('Failed to fetch');
    expect((await api.listSessions({ limit: sessionPageSize })).data.sessions.map((s) => s.id)).toEqual(['s_net']);
  });
});
