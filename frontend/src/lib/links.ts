// Finding the link a click activates (HTML <a>/<area>, SVG <a>, MathML
// href) and opening it outside the app: the system browser in the desktop
// window, a new tab without opener or referrer in a browser.

import type { Desktop } from './desktop';
import { HTML_NS, MATHML_NS, SVG_NS, XLINK_NS } from './output-policy';

/** Elements that take a click themselves: a button inside a link is not a click on the link. */
const controls = new Set(['button', 'input', 'select', 'textarea', 'label', 'summary', 'option']);

/** The raw href of a link element (href, or SVG's xlink:href), or null when it is not a link. */
export function linkHref(el: Element): string | null {
  switch (el.namespaceURI) {
    case HTML_NS:
      return el.localName === 'a' || el.localName === 'area' ? el.getAttribute('href') : null;
    case SVG_NS:
      return el.localName === 'a' ? (el.getAttribute('href') ?? el.getAttributeNS(XLINK_NS, 'href')) : null;
    case MATHML_NS:
      return el.getAttribute('href');
    default:
      return null;
  }
}

/**
 * The link element a click on `target` activates, walking up to (and
 * including) `boundary` or the document; null when the click is not on a
 * link, or lands on a control (a button) before reaching one.
 */
export function linkAt(target: EventTarget | null, boundary?: Element | null): Element | null {
  let el: Element | null = null;
  const node = target as Node | null;
  if (node?.nodeType === 1) el = node as Element;
  else if (node?.nodeType === 3) el = node.parentElement;
  for (; el; el = el.parentElement) {
    if (el.namespaceURI === HTML_NS && controls.has(el.localName)) return null;
    if (linkHref(el) !== null) return el;
    if (el === boundary) return null;
  }
  return null;
}

/** Opens a URL outside the app; decided once for the window. */
export type OpenOutside = (url: string) => void;

/**
 * Returns the function that opens links outside the app: through the
 * desktop bridge (Wails' BrowserOpenURL) when there is one, else a new tab
 * with `noopener,noreferrer` so the page it opens cannot reach back into
 * the app (window.opener) or learn where it came from. Captures the page's
 * own window.open first, so a later override (the navigation guard's) does
 * not loop.
 */
export function outsideOpener(win: Window, desktop: Pick<Desktop, 'openExternal'>): OpenOutside {
  const nativeOpen = win.open.bind(win);
  return (url) => {
    if (desktop.openExternal(url)) return;
    nativeOpen(url, '_blank', 'noopener,noreferrer');
  };
}
