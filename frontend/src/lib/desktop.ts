// The bridge to the desktop (Wails) shell. In a plain browser there is no
// `window.runtime` and every function here does nothing.

import type { StreamStatus } from './stream/types';
import type { Attachment } from './attachments/attachments';

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
  /** New words reached the screen after the stream came back (the app logs it; the smoke test times it). */
  wordsResumed(): void;
  /**
   * Restarts the in-process backend (the View menu's Restart Backend), for
   * the banner shown when it is down; null outside the desktop app.
   */
  restartBackend: (() => Promise<void>) | null;
  /** Opens a link in the system browser; false when the page should handle it itself. */
  openExternal(url: string): boolean;
  /**
   * The paperclip's native file dialog: the app stores the picked files
   * (like uploads) and says which it refused; null outside the desktop
   * app, where the page uses the browser's file input.
   */
  pickAttachments: ((room: number) => Promise<PickedFiles>) | null;
  dispose(): void;
}

/** What App.PickAttachments answers: the files stored, and those refused with the upload endpoint's error code. */
export interface PickedFiles {
  files: Attachment[];
  errors: { name: string; code: string; message: string }[];
}

type Bound = { RestartBackend?: () => Promise<void>; PickAttachments?: (room: number) => Promise<PickedFiles | null> };

function boundApp(w: unknown): Bound | undefined {
  return (w as { go?: { app?: { App?: Bound } } } | null)?.go?.app?.App;
}

/** The bound App.PickAttachments of the desktop window, if any; a missing answer reads as a cancelled dialog. */
function findPick(w: unknown): ((room: number) => Promise<PickedFiles>) | null {
  const app = boundApp(w);
  if (typeof app?.PickAttachments !== 'function') return null;
  return async (room) => {
    const got = await app.PickAttachments!(room);
    return { files: got?.files ?? [], errors: got?.errors ?? [] };
  };
}

/** The bound App.RestartBackend of the desktop window, if any. */
function findRestart(w: unknown): (() => Promise<void>) | null {
  const app = boundApp(w);
  return typeof app?.RestartBackend === 'function' ? () => app.RestartBackend!() : null;
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
      wordsResumed: () => {},
      restartBackend: null,
      openExternal: () => false,
      pickAttachments: null,
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
    wordsResumed: () => rt.EventsEmit('stream-words'),
    restartBackend: findRestart(w),
    pickAttachments: findPick(w),
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
