// The first page of chats, asked for by the page's first script (boot.ts)
// while the browser is still parsing and running the app's bundle: it is the
// one answer the sidebar's first screen waits for, so it should be on its way
// before the app is. The app's own fetch then takes that answer when it makes
// exactly that request (same URL, same token); every other request, and any
// later one, goes to the network as usual. No imports but token.ts, so
// boot.ts stays a few hundred bytes.
import { captureTokenFromHash, storedToken, type BrowserLike } from './stream/token';

/** Chats per page: a few screenfuls, one quick query. */
export const sessionPageSize = 100;

/** A request already on its way. */
export interface EarlyRequest {
  /** The absolute URL, as `new URL(...).href` writes it. */
  url: string;
  token: string;
  response: Promise<Response>;
}

/** The first page's URL on `origin`, the way Api.listSessions({ limit: sessionPageSize }) builds it. */
export function firstPageUrl(origin: string): string {
  return new URL(`/api/sessions?limit=${sessionPageSize}`, origin).href;
}

/**
 * Asks for the first page of chats now, for a page served by `holdfast serve`
 * (its token is in the address bar or this tab's storage). Null when there is
 * no token (the desktop window gets its own from the app, later) or anything
 * goes wrong: the app then asks for the page itself.
 */
export function startEarly(w: BrowserLike, fetchFn: typeof fetch): EarlyRequest | null {
  try {
    captureTokenFromHash(w);
    const token = storedToken(w);
    if (!token || !/^https?:$/.test(new URL(w.location.origin).protocol)) return null;
    const url = firstPageUrl(w.location.origin);
    // The same headers and cache mode as Api.request sends.
    const response = fetchFn(url, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' }, cache: 'no-store' });
    response.catch(() => {}); // an unused failure is not an unhandled rejection; the taker sees it
    return { url, token, response };
  } catch {
    return null;
  }
}

/**
 * A fetch that answers the first request matching `early` (a GET of the same
 * URL with the same token) with the early answer, once; everything else goes
 * to `fetchFn`. An abort signal still aborts: the taker's promise rejects
 * with the signal's reason, as fetch's does.
 */
export function withEarly(early: EarlyRequest | null, fetchFn: typeof fetch): typeof fetch {
  let waiting = early;
  return (input: RequestInfo | URL, init?: RequestInit) => {
    const e = waiting;
    if (!e || !matches(e, input, init)) return fetchFn(input, init);
    waiting = null;
    const signal = init?.signal;
    if (!signal) return e.response;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<Response>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      e.response.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  };
}

function matches(e: EarlyRequest, input: RequestInfo | URL, init?: RequestInit): boolean {
  if (typeof input !== 'string' && !(input instanceof URL)) return false; // a Request carries its own headers: not ours
  if ((init?.method ?? 'GET').toUpperCase() !== 'GET' || init?.body != null) return false;
  let url: string;
  try {
    url = new URL(input).href;
  } catch {
    return false;
  }
  return url === e.url && new Headers(init?.headers).get('Authorization') === `Bearer ${e.token}`;
}
