/**
 * The arithmetic of a virtualised list: rows of known heights (one per
 * kind, so no row has to be measured), their offsets, and which of them a
 * viewport shows. Only those are put in the DOM, so a list of 10,000 chats
 * costs what a screenful does.
 */

/** Where each row starts; `offsets[n]` is the list's whole height. */
export function offsets(count: number, height: (i: number) => number): Float64Array {
  const out = new Float64Array(count + 1);
  for (let i = 0; i < count; i++) out[i + 1] = out[i] + height(i);
  return out;
}

/** The row at `y` (the last row whose start is at or above it); 0 for an empty list. */
export function rowAt(offs: Float64Array, y: number): number {
  const n = offs.length - 1;
  if (n <= 0) return 0;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offs[mid] <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** A slice of rows: `start` included, `end` excluded. */
export interface Range {
  start: number;
  end: number;
}

/**
 * The rows a viewport of `height` pixels scrolled to `top` shows, plus
 * `overscan` pixels above and below (so a small scroll has rows ready).
 */
export function visibleRange(offs: Float64Array, top: number, height: number, overscan = 0): Range {
  const n = offs.length - 1;
  if (n <= 0 || height <= 0) return { start: 0, end: 0 };
  const start = rowAt(offs, Math.max(0, top - overscan));
  const bottom = top + height + overscan;
  let end = rowAt(offs, bottom) + 1;
  if (offs[end - 1] >= bottom && end - 1 > start) end--; // the row starting exactly at the bottom is not shown
  return { start, end: Math.min(n, end) };
}

/**
 * The scroll position that brings row `i` fully into a viewport of
 * `height` scrolled to `top`, moving as little as possible; `top` itself
 * when it is already in view.
 */
export function scrollToShow(offs: Float64Array, i: number, top: number, height: number): number {
  const n = offs.length - 1;
  if (i < 0 || i >= n) return top;
  const a = offs[i];
  const b = offs[i + 1];
  if (a < top) return a;
  if (b > top + height) return Math.max(0, b - height);
  return top;
}
