// The browser page's access token: in the address bar's #token= on the first
// load, in this tab's sessionStorage after that. No imports, so the page's
// first script (boot.ts) can read it without loading the app.

const tokenKey = 'holdfast.token';

/** The parts of `window` the browser resolver touches; injectable for tests. */
export interface BrowserLike {
  location: { hash: string; origin: string; pathname: string; search: string };
  history: { replaceState(data: unknown, unused: string, url?: string): void; state: unknown };
  sessionStorage: { getItem(k: string): string | null; setItem(k: string, v: string): void };
}

/**
 * Takes `#token=` out of the address bar (so it is not bookmarked, shared or
 * kept in history) and into sessionStorage, which survives reloads of this tab
 * only. Call once at start-up, before anything else reads the hash.
 */
export function captureTokenFromHash(w: BrowserLike): void {
  const hash = w.location.hash.replace(/^#/, '');
  if (!hash) return;
  const params = new URLSearchParams(hash);
  const token = params.get('token');
  if (!token) return;
  w.sessionStorage.setItem(tokenKey, token);
  params.delete('token');
  const rest = params.toString();
  w.history.replaceState(w.history.state, '', w.location.pathname + w.location.search + (rest ? `#${rest}` : ''));
}

/** This tab's token (after captureTokenFromHash), or null. */
export function storedToken(w: Pick<BrowserLike, 'sessionStorage'>): string | null {
  return w.sessionStorage.getItem(tokenKey);
}
