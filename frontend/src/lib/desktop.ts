// The bridge to the desktop (Wails) shell. In a plain browser there is no
// `window.runtime` and every function here does nothing.

import type { StreamStatus } from './stream/types';

/** The part of the Wails JS runtime this page uses. */
export interface WailsRuntime {
  EventsEmit(name: string, ...data: unknown[]): void;
  EventsOn(name: string, cb: (...data: unknown[]) => void): (() => void) | void;
  BrowserOpenURL?(url: string): void;
}

export interface DesktopHandlers {
  newChat(): void;
  toggleTheme(): void;
  openSession(id: string): void;
  /** Help → Keyboard Shortcuts. */
  shortcuts(): void;
}

/** What the app calls to talk to the desktop shell. */
export interface Desktop {
  /** True inside the Wails window. */
  readonly present: boolean;
  activeSession(id: string | null): void;
  streamStatus(status: StreamStatus): void;
  /** Opens a link in the system browser; false when the page should handle it itself. */
  openExternal(url: string): boolean;
  dispose(): void;
}

/**
 * Wails refuses to open a URL that holds shell metacharacters (parentheses,
 * `!`, `~`, `*`, `$`, `;`, brackets, …: see ValidateAndSanitizeURL in
 * wailsapp/wails v2), which would silently drop every Wikipedia link with a
 * "(disambiguation)". Percent-encoding them after the host keeps the address
 * and gets it through.
 */
export function shellSafeURL(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:(?:\/\/[^/?#]*)?)([\s\S]*)$/i.exec(url);
  if (!m) return url;
  return m[1] + m[2].replace(/[()!~*[\]{}$;|`\\<>'" \t]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function findRuntime(w: unknown): WailsRuntime | null {
  const rt = (w as { runtime?: Partial<WailsRuntime> } | null)?.runtime;
  return rt && typeof rt.EventsEmit === 'function' && typeof rt.EventsOn === 'function' ? (rt as WailsRuntime) : null;
}

/** Wires menu events to `handlers` and returns the emitters; a no-op outside Wails. */
export function connectDesktop(w: unknown, handlers: DesktopHandlers): Desktop {
  const rt = findRuntime(w);
  if (!rt) {
    return {
      present: false,
      activeSession: () => {},
      streamStatus: () => {},
      openExternal: () => false,
      dispose: () => {},
    };
  }
  const offs = [
    rt.EventsOn('menu:new-chat', () => handlers.newChat()),
    rt.EventsOn('menu:toggle-theme', () => handlers.toggleTheme()),
    rt.EventsOn('menu:shortcuts', () => handlers.shortcuts()),
    rt.EventsOn('menu:open-session', (id) => {
      if (typeof id === 'string' && id) handlers.openSession(id);
    }),
  ];
  return {
    present: true,
    activeSession: (id) => rt.EventsEmit('active-session', id ?? ''),
    streamStatus: (status) => rt.EventsEmit('stream-status', status),
    openExternal: (url) => {
      if (!rt.BrowserOpenURL) return false;
      rt.BrowserOpenURL(shellSafeURL(url));
      return true;
    },
    dispose: () => {
      for (const off of offs) if (typeof off === 'function') off();
    },
  };
}
