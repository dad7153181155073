// The second line behind the sanitiser: the app's page never navigates
// away from itself. Wails v2 has no navigation hook on Linux (WebKitGTK's
// `decide-policy` is not connected; only `load-changed` is, for DomReady),
// so a foreign page would load inside the app window. Without script, the
// only ways model output could navigate the page are a click on a link, a
// form submission, a dropped link, or window.open; this guard sits in the
// capture phase on the window and hands every one of them to the system
// browser (or a new tab) instead, whatever element they come from.

import { externalURL } from './output-policy';
import { linkAt, linkHref, type OpenOutside } from './links';

export interface GuardOptions {
  /** In the desktop window window.open is rerouted too (WebKitGTK would otherwise drop or misroute it). */
  desktop: boolean;
}

/** True when `url` is this page with at most another fragment (such a click only scrolls). */
function sameDocument(url: URL, here: Location): boolean {
  return url.origin === here.origin && url.pathname === here.pathname && url.search === here.search && url.hash !== '';
}

function editable(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && el.nodeType === 1 && (el.isContentEditable || el.localName === 'textarea' || el.localName === 'input');
}

/**
 * Installs the guard on `win` and returns a function that removes it.
 * Every link click that would leave the page is cancelled; http(s) and
 * mailto URLs go to `open`, anything else is dropped.
 */
export function installNavigationGuard(win: Window, open: OpenOutside, opts: GuardOptions): () => void {
  const doc = win.document;

  const onClick = (e: MouseEvent) => {
    // auxclick: only the middle button opens links.
    if (e.type === 'auxclick' && e.button !== 1) return;
    const link = linkAt(e.target);
    if (!link) return;
    const raw = linkHref(link) ?? '';
    let url: URL;
    try {
      url = new URL(raw, doc.baseURI);
    } catch {
      e.preventDefault();
      return;
    }
    if (sameDocument(url, win.location)) return;
    // The export button saves a blob it made itself with <a download>.
    if (url.protocol === 'blob:' && url.origin === win.location.origin && link.hasAttribute('download')) return;
    e.preventDefault();
    const outside = externalURL(url.href);
    // The app is one page: a same-origin link has nowhere to go.
    if (outside && url.origin !== win.location.origin) open(outside);
  };

  // The app submits no form natively (every action is a fetch), so any
  // submission is cancelled; handlers still run.
  const onSubmit = (e: Event) => e.preventDefault();

  // A link or file dropped on the page would load in its place.
  const onDrag = (e: DragEvent) => {
    if (e.defaultPrevented || editable(e.target)) return;
    e.preventDefault();
  };

  const nativeOpen = win.open;
  const guardedOpen = ((target?: string | URL) => {
    if (target === undefined || target === '') return null;
    let url: URL;
    try {
      url = new URL(String(target), doc.baseURI);
    } catch {
      return null;
    }
    const outside = externalURL(url.href);
    if (outside && url.origin !== win.location.origin) open(outside);
    return null;
  }) as typeof win.open;

  win.addEventListener('click', onClick, true);
  win.addEventListener('auxclick', onClick, true);
  win.addEventListener('submit', onSubmit, true);
  win.addEventListener('dragover', onDrag);
  win.addEventListener('drop', onDrag);
  if (opts.desktop) win.open = guardedOpen;

  return () => {
    win.removeEventListener('click', onClick, true);
    win.removeEventListener('auxclick', onClick, true);
    win.removeEventListener('submit', onSubmit, true);
    win.removeEventListener('dragover', onDrag);
    win.removeEventListener('drop', onDrag);
    if (win.open === guardedOpen) win.open = nativeOpen;
  };
}
