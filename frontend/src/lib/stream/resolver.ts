import { BackendDownError } from './client';
import type { Credentials, Resolver } from './types';
import { captureTokenFromHash, storedToken, type BrowserLike } from './token';

export { captureTokenFromHash, type BrowserLike };

/** Thrown when no token can be found; the UI explains how to open the app. */
export class MissingTokenError extends Error {
  readonly status = 401;
  readonly code = 'unauthorized';
  constructor() {
    super('no access token: open the address printed by `holdfast serve` (it ends in #token=…)');
    this.name = 'MissingTokenError';
  }
}

/** Credentials for a page served by `holdfast serve`: same origin, token from the tab. */
export function browserResolver(w: BrowserLike): Resolver {
  return async () => {
    captureTokenFromHash(w);
    const token = storedToken(w);
    if (!token) throw new MissingTokenError();
    return { baseUrl: w.location.origin, token };
  };
}

/** The Wails binding the desktop app exposes. */
export interface WailsApp {
  /** `down` says why the in-process server is not running (it failed to restart). */
  ConnectionInfo(): Promise<{ baseUrl?: string; base_url?: string; token: string; down?: string }>;
}

/**
 * Credentials from the desktop app; asked every time since the backend may
 * have moved ports. Its backend is always on this machine.
 */
export function wailsResolver(app: WailsApp): Resolver {
  return async () => {
    const info = await app.ConnectionInfo();
    if (info.down) throw new BackendDownError(info.down);
    const baseUrl = info.baseUrl ?? info.base_url;
    if (!baseUrl || !info.token) throw new Error('desktop app returned no connection info');
    return { baseUrl, token: info.token, local: true } satisfies Credentials;
  };
}

/** The Wails binding when running inside the desktop window, else null. */
export function findWailsApp(w: unknown): WailsApp | null {
  const app = (w as { go?: { app?: { App?: Partial<WailsApp> } } })?.go?.app?.App;
  return typeof app?.ConnectionInfo === 'function' ? (app as WailsApp) : null;
}

/** Picks the desktop binding when present, else the browser's URL-fragment token. */
export function defaultResolver(w: Window & typeof globalThis): Resolver {
  const app = findWailsApp(w);
  return app ? wailsResolver(app) : browserResolver(w);
}
