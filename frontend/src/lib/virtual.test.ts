import { describe, expect, it } from 'vitest';
import { offsets, rowAt, scrollToShow, visibleRange } from './virtual';

// A header of 30 px every 5 rows, chats of 40 px: the sidebar's shape.
const height = (i: number) => (i % 5 === 0 ? 30 : 40);

describe('virtual list windowing', () => {
  it('sums the heights into offsets', () => {
    const o = offsets(6, height);
    expect([...o]).toEqual([0, 30, 70, 110, 150, 190, 220]);
    expect(offsets(0, height).length).toBe(1);
  });

  it('finds the row at a position, at and between row starts', () => {
    const o = offsets(6, height);
    expect(rowAt(o, 0)).toBe(0);
    expect(rowAt(o, 29.9)).toBe(0);
    expect(rowAt(o, 30)).toBe(1);
    expect(rowAt(o, 189)).toBe(4);
    expect(rowAt(o, 10_000)).toBe(5); // past the end: the last row
    expect(rowAt(o, -5)).toBe(0);
    expect(rowAt(offsets(0, height), 100)).toBe(0);
  });

  it.each([
    // top, viewport, overscan, start, end
    [0, 100, 0, 0, 3], // rows 0-2 cover 0..110; row 2 is cut at 100 but shown
    [0, 110, 0, 0, 3], // row 3 starts exactly at the bottom: not shown
    [30, 80, 0, 1, 3],
    [35, 80, 0, 1, 4],
    [200, 500, 0, 5, 6], // near the end: clamped
    [100, 40, 40, 1, 5], // overscan adds rows above and below (60..180)
  ])('top %d, viewport %d, overscan %d shows rows %d..%d', (top, vh, over, start, end) => {
    expect(visibleRange(offsets(6, height), top, vh, over)).toEqual({ start, end });
  });

  it('renders a screenful of a 10,000-row list wherever it is scrolled', () => {
    const o = offsets(10_000, height);
    expect(o[10_000]).toBe(2000 * 30 + 8000 * 40);
    for (const top of [0, 1234.5, 200_000, o[10_000] - 600]) {
      const r = visibleRange(o, top, 600, 200);
      expect(r.end - r.start).toBeLessThanOrEqual(Math.ceil(1000 / 30) + 2);
      expect(o[r.start]).toBeLessThanOrEqual(Math.max(0, top - 200));
      expect(o[r.end]).toBeGreaterThanOrEqual(Math.min(o[10_000], top + 600 + 200));
    }
    expect(visibleRange(o, 0, 0)).toEqual({ start: 0, end: 0 });
    expect(visibleRange(offsets(0, height), 0, 600)).toEqual({ start: 0, end: 0 });
  });

  it('scrolls as little as needed to show a row', () => {
    const o = offsets(6, height); // 0,30,70,110,150,190,220
    expect(scrollToShow(o, 2, 0, 120)).toBe(0); // already visible
    expect(scrollToShow(o, 4, 0, 120)).toBe(70); // below: its bottom at the viewport's bottom
    expect(scrollToShow(o, 1, 100, 120)).toBe(30); // above: its top at the viewport's top
    expect(scrollToShow(o, 9, 50, 120)).toBe(50); // no such row
  });
});
