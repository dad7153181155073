import { describe, expect, it } from 'vitest';
import { moveFocus, tabStop } from './roving';

// Rows 0 and 4 are headers (not focusable), as in the sidebar.
const headers = new Set([0, 4]);
const focusable = (i: number) => !headers.has(i);
const count = 9; // h, 1, 2, 3, h, 5, 6, 7, 8

describe('moveFocus', () => {
  it.each([
    ['ArrowDown', 1, 2],
    ['ArrowDown', 3, 5], // skips the header
    ['ArrowDown', 8, 8], // stays at the end
    ['ArrowUp', 5, 3],
    ['ArrowUp', 1, 1], // the header above is not a stop
    ['Home', 6, 1],
    ['End', 2, 8],
    ['PageDown', 1, 5], // 3 focusable rows on, over the header
    ['PageDown', 6, 8], // clamped
    ['PageUp', 6, 2],
    ['PageUp', 2, 1],
    ['ArrowDown', -1, 1], // nothing focused yet: the first
    ['ArrowUp', -1, 8], // or the last
    ['End', -1, 8],
  ])('%s from %d goes to %d', (key, from, to) => {
    expect(moveFocus(key, from, count, focusable, 3)).toBe(to);
  });

  it('ignores other keys and lists with nothing to focus', () => {
    expect(moveFocus('Enter', 1, count, focusable)).toBeNull();
    expect(moveFocus('ArrowLeft', 1, count, focusable)).toBeNull();
    expect(moveFocus('ArrowDown', -1, 0, focusable)).toBeNull();
    expect(moveFocus('ArrowDown', -1, 1, () => false)).toBeNull();
  });
});

describe('tabStop', () => {
  it('keeps the remembered row while it is on screen', () => {
    expect(tabStop(count, focusable, 6, { start: 4, end: 9 })).toBe(6);
  });
  it('falls back to the first row on screen when the remembered one scrolled away or is gone', () => {
    expect(tabStop(count, focusable, 1, { start: 4, end: 9 })).toBe(5);
    expect(tabStop(count, focusable, 42, { start: 0, end: 3 })).toBe(1);
    expect(tabStop(count, focusable, 4, { start: 0, end: 9 })).toBe(1); // a header cannot hold it
  });
  it('uses the first row of the list when nothing focusable is on screen, and -1 for an empty list', () => {
    expect(tabStop(count, focusable, -1, { start: 0, end: 0 })).toBe(1);
    expect(tabStop(0, focusable, -1, { start: 0, end: 0 })).toBe(-1);
  });
});
