// What model output may point at once it is in the page. The sanitiser in
// markdown.ts applies these rules while DOMPurify walks the tree (after
// DOMPurify itself has removed scripts, handlers and unknown attributes);
// the link router (links.ts) applies externalURL again on every click.
//
// The rules, in short (docs/security.md has the reasons):
// - A link is an absolute http(s) or mailto URL, or a fragment; it always
//   opens outside the app. Anything else loses its href and is inert.
// - MathML never links; SVG elements other than <a> may only reference
//   fragments of the same document.
// - No remote resource reaches the DOM without the user's consent: a remote
//   <img> becomes a placeholder (host + "Load image"); remote SVG images,
//   srcset, posters, backgrounds and CSS url()s are dropped.
// - Attributes that act on other elements of the page (popover targets,
//   invoker commands, label for, form owner) are stripped.

export const HTML_NS = 'http://www.w3.org/1999/xhtml';
export const SVG_NS = 'http://www.w3.org/2000/svg';
export const MATHML_NS = 'http://www.w3.org/1998/Math/MathML';
export const XLINK_NS = 'http://www.w3.org/1999/xlink';

/**
 * Attributes removed from every element. Some carry URLs that are fetched or
 * followed without a click (background, ping, poster, srcdoc), some act on
 * other parts of the page (popover*, command*, interestfor, for, form), some
 * submit or navigate (action, formaction, target, download) or steal focus.
 */
export const forbiddenAttributes = [
  'style',
  'action',
  'formaction',
  'form',
  'for',
  'background',
  'ping',
  'poster',
  'srcdoc',
  'target',
  'download',
  'autofocus',
  'autoplay',
  'popover',
  'popovertarget',
  'popovertargetaction',
  'command',
  'commandfor',
  'interestfor',
  'integrity',
  'crossorigin',
  'nonce',
];

/**
 * Elements removed with their content: anything that can run code, submit,
 * frame, style the app, change the document's base or refresh it, and media
 * players (their sources and posters would load on sight).
 */
export const forbiddenTags = [
  'style',
  'form',
  'input',
  'textarea',
  'select',
  'option',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'link',
  'meta',
  'base',
  'audio',
  'video',
  'source',
  'track',
  'portal',
  'fencedframe',
];

/** An absolute http(s) or mailto URL in its normal form, or null for anything else. */
export function externalURL(raw: string | null | undefined): string | null {
  if (!raw) return null;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return null; // relative or malformed: model output has no base to resolve against
  }
  if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname) return url.href;
  if (url.protocol === 'mailto:' && url.pathname) return url.href;
  return null;
}

/** True for a reference to a fragment of this document ("#name"). */
export function isFragment(raw: string | null | undefined): boolean {
  return !!raw && /^#[^\s#]*$/.test(raw.trim());
}

/** Where an image comes from, as far as the sanitiser is concerned. */
export type ImageSource =
  | { kind: 'inline'; url: string }
  | { kind: 'remote'; url: string; host: string; secure: boolean };

/**
 * Classifies an image URL: data:image/… and blob: are inline (no network),
 * absolute http(s) is remote; anything else (relative, javascript:, file:)
 * is null and must not be used.
 */
export function classifyImage(raw: string | null | undefined): ImageSource | null {
  const text = (raw ?? '').trim();
  if (!text) return null;
  if (/^data:image\//i.test(text)) return { kind: 'inline', url: text };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  if (url.protocol === 'blob:') return { kind: 'inline', url: url.href };
  if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname) {
    return { kind: 'remote', url: url.href, host: url.host, secure: url.protocol === 'https:' };
  }
  return null;
}

/** The first URL of a srcset ("a.png 1x, b.png 2x" → "a.png"); data: URLs may hold commas. */
export function firstSrcsetURL(srcset: string | null): string | null {
  const text = (srcset ?? '').trim();
  if (!text) return null;
  return text.split(/\s+/)[0].replace(/,$/, '') || null;
}

/** Marks a remote <img> until the renderer swaps it for a placeholder. */
export const remoteMark = 'data-hf-remote';

/** SVG presentation attributes may point at other documents with url(…); only url(#id) stays. */
const foreignUrl = /url\(\s*(['"]?)\s*(?!#)/i;

/** Applies the rules above to one element DOMPurify has already cleaned. */
export function applyOutputPolicy(el: Element): void {
  switch (el.namespaceURI) {
    case SVG_NS:
      svgElement(el);
      break;
    case MATHML_NS:
      // MathML links are inert: drop every URL-bearing attribute.
      removeHref(el);
      el.removeAttribute('src');
      break;
    default:
      htmlElement(el);
  }
}

function htmlElement(el: Element): void {
  const name = el.localName;
  if (name === 'a' || name === 'area') {
    setLink(el, el.getAttribute('href'));
    return;
  }
  el.removeAttribute('href');
  if (name === 'img') {
    img(el);
    return;
  }
  el.removeAttribute('src');
  el.removeAttribute('srcset');
  el.removeAttribute('usemap');
}

function img(el: Element): void {
  const usemap = el.getAttribute('usemap');
  if (usemap !== null && !isFragment(usemap)) el.removeAttribute('usemap');
  const raw = el.getAttribute('src') ?? firstSrcsetURL(el.getAttribute('srcset'));
  el.removeAttribute('srcset'); // one source is enough; a srcset could name remote ones
  el.removeAttribute('src');
  const src = classifyImage(raw);
  if (src?.kind === 'inline') {
    el.setAttribute('src', src.url);
    el.setAttribute('loading', 'lazy');
    el.setAttribute('referrerpolicy', 'no-referrer');
  } else if (src?.kind === 'remote') {
    el.setAttribute(remoteMark, src.url);
  }
}

function svgElement(el: Element): void {
  const name = el.localName.toLowerCase();
  const href = el.getAttribute('href') ?? el.getAttributeNS(XLINK_NS, 'href');
  if (name === 'a') {
    el.removeAttributeNS(XLINK_NS, 'href');
    setLink(el, href);
  } else if (name === 'image' || name === 'feimage') {
    removeHref(el);
    const src = classifyImage(href);
    if (src?.kind === 'inline') el.setAttribute('href', src.url);
  } else if (href !== null && !isFragment(href)) {
    removeHref(el);
  }
  el.removeAttribute('src');
  for (const attr of [...el.attributes]) {
    if (foreignUrl.test(attr.value)) el.removeAttributeNode(attr);
  }
}

/** Keeps a link only when it leaves the app (or is a fragment), and makes it open outside. */
function setLink(el: Element, raw: string | null): void {
  el.removeAttribute('target');
  el.removeAttribute('rel');
  if (raw !== null && isFragment(raw)) {
    el.setAttribute('href', raw.trim());
    return;
  }
  const url = externalURL(raw);
  if (!url) {
    el.removeAttribute('href');
    return;
  }
  el.setAttribute('href', url);
  el.setAttribute('target', '_blank');
  el.setAttribute('rel', 'noopener noreferrer');
  if (el.namespaceURI !== SVG_NS) el.setAttribute('referrerpolicy', 'no-referrer');
}

function removeHref(el: Element): void {
  el.removeAttribute('href');
  el.removeAttributeNS(XLINK_NS, 'href');
}

/** Texts of the remote-image placeholder, in the UI language. */
export interface ImageLabels {
  /** "Image from {host}" */
  imageFrom: string;
  loadImage: string;
  alwaysLoad: string;
  /** Shown instead of the buttons for plain-http images, which the CSP would block anyway. */
  insecure: string;
}

export const defaultImageLabels: ImageLabels = {
  imageFrom: 'Image from {host}',
  loadImage: 'Load image',
  alwaysLoad: 'Always load images in this chat',
  insecure: 'Not loaded: the address is not secure (https).',
};

/**
 * Replaces every marked remote <img> under `root` with a placeholder that
 * names the host and offers to load it. The URL waits in `data-src` (which
 * fetches nothing) until the Markdown component swaps an <img> in, after a
 * click or a remembered "always" for the chat.
 */
export function placeRemoteImages(root: ParentNode, labels: ImageLabels): void {
  for (const el of [...root.querySelectorAll(`img[${remoteMark}]`)]) {
    const src = classifyImage(el.getAttribute(remoteMark));
    const alt = el.getAttribute('alt') ?? '';
    if (src?.kind !== 'remote') {
      el.remove();
      continue;
    }
    el.replaceWith(placeholder(el.ownerDocument, src, alt, labels));
  }
}

function placeholder(doc: Document, src: Extract<ImageSource, { kind: 'remote' }>, alt: string, labels: ImageLabels): Element {
  const box = doc.createElement('span');
  box.className = 'remote-image';
  box.setAttribute('data-testid', 'remote-image');
  box.setAttribute('data-src', src.url);
  if (alt) box.setAttribute('data-alt', alt);
  const label = doc.createElement('span');
  label.className = 'remote-image-label';
  label.textContent = labels.imageFrom.replace('{host}', src.host);
  label.setAttribute('title', src.url);
  box.append(label);
  if (alt) {
    const altText = doc.createElement('span');
    altText.className = 'remote-image-alt';
    altText.textContent = alt;
    box.append(altText);
  }
  if (!src.secure) {
    box.classList.add('insecure');
    const note = doc.createElement('span');
    note.className = 'remote-image-note';
    note.textContent = labels.insecure;
    box.append(note);
    return box;
  }
  const load = doc.createElement('button');
  load.type = 'button';
  load.className = 'remote-image-load';
  load.textContent = labels.loadImage;
  const always = doc.createElement('button');
  always.type = 'button';
  always.className = 'remote-image-always';
  always.textContent = labels.alwaysLoad;
  box.append(load, always);
  return box;
}
