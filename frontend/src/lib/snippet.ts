import type { Segment } from './protocol';

/**
 * Search snippets and the words they highlight. The server sends a snippet
 * as plain-text segments, the matched ones flagged; the text was written
 * by users and models, so it only ever reaches the DOM as text nodes.
 */

/**
 * The segments of a snippet as the server sent them, made safe to rely on:
 * anything that is not a segment is dropped, text is always a string, and
 * neighbours of the same kind are joined.
 */
export function cleanSegments(input: unknown): Segment[] {
  const out: Segment[] = [];
  if (!Array.isArray(input)) return out;
  for (const raw of input) {
    if (!raw || typeof raw !== 'object') continue;
    const { text, match } = raw as { text?: unknown; match?: unknown };
    if (typeof text !== 'string' || text === '') continue;
    const mark = match === true;
    const last = out.at(-1);
    if (last && last.match === mark) last.text += text;
    else out.push({ text, match: mark });
  }
  return out;
}

/** Appends a snippet to `parent` as text nodes and <mark> elements; returns the marks. */
export function renderSnippet(parent: Node, segments: unknown, doc: Document = parent.ownerDocument ?? document): HTMLElement[] {
  const marks: HTMLElement[] = [];
  for (const seg of cleanSegments(segments)) {
    if (seg.match) {
      const m = doc.createElement('mark');
      m.textContent = seg.text;
      parent.appendChild(m);
      marks.push(m);
    } else {
      parent.appendChild(doc.createTextNode(seg.text));
    }
  }
  return marks;
}

/** The distinct matched words of some snippets (what to highlight in the opened message). */
export function markedTerms(snippets: readonly unknown[]): string[] {
  const seen = new Map<string, string>();
  for (const s of snippets) {
    for (const seg of cleanSegments(s)) {
      if (!seg.match) continue;
      const t = seg.text.trim();
      if (t && !seen.has(t.toLowerCase())) seen.set(t.toLowerCase(), t);
    }
  }
  return [...seen.values()];
}

/** The words of a query as a user typed it, without search syntax (quotes, operators, stars). */
export function queryTerms(q: string): string[] {
  const words = q
    .replace(/["'()*^:{}[\]]/g, ' ')
    .split(/\s+/)
    .filter((w) => w && !/^(AND|OR|NOT|NEAR)$/.test(w));
  return [...new Set(words)];
}

/**
 * Wraps every occurrence of `terms` (case-insensitive) inside `root`'s text
 * in <mark class="search-hit">, touching text nodes only; returns the marks in
 * document order. Longer terms win where terms overlap.
 */
export function highlightTerms(root: Element, terms: readonly string[]): HTMLElement[] {
  const wanted = [...new Set(terms.map((t) => t.trim()).filter(Boolean))].sort((a, b) => b.length - a.length);
  if (!wanted.length) return [];
  const pattern = new RegExp(wanted.map(escapeRegExp).join('|'), 'giu');
  const doc = root.ownerDocument;
  const walker = doc.createTreeWalker(root, 4 /* NodeFilter.SHOW_TEXT */);
  const nodes: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const parent = (n as Text).parentElement;
    if (parent && !parent.closest('mark.search-hit, button')) nodes.push(n as Text);
  }
  const marks: HTMLElement[] = [];
  for (const node of nodes) {
    const text = node.data;
    pattern.lastIndex = 0;
    let m = pattern.exec(text);
    if (!m) continue;
    const frag = doc.createDocumentFragment();
    let at = 0;
    for (; m; m = pattern.exec(text)) {
      if (m[0] === '') {
        pattern.lastIndex++;
        continue;
      }
      if (m.index > at) frag.appendChild(doc.createTextNode(text.slice(at, m.index)));
      const mark = doc.createElement('mark');
      mark.className = 'search-hit';
      mark.textContent = m[0];
      frag.appendChild(mark);
      marks.push(mark);
      at = m.index + m[0].length;
    }
    if (at < text.length) frag.appendChild(doc.createTextNode(text.slice(at)));
    node.replaceWith(frag);
  }
  return marks;
}

/** Removes the marks highlightTerms added, leaving the text as it was. */
export function clearHighlights(root: Element): void {
  for (const m of root.querySelectorAll('mark.search-hit')) m.replaceWith(root.ownerDocument.createTextNode(m.textContent ?? ''));
  root.normalize();
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
