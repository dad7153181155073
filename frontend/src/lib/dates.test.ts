import { describe, expect, it } from 'vitest';
import { dateGroup, fullTime, groupId, monthLabel, parseTime, shortTime } from './dates';
import { groupRows } from './sidebar/rows';

// Local times, so the tests hold in any time zone.
const at = (y: number, mo: number, d: number, h = 12, mi = 0) => new Date(y, mo - 1, d, h, mi).getTime();
const now = new Date(2026, 10, 22, 15, 30); // 22 November 2026, 15:30

describe('dateGroup', () => {
  it.each([
    ['later today', at(2026, 11, 22, 23, 59), 'today'],
    ['this morning at midnight', at(2026, 11, 22, 0, 0), 'today'],
    ['a clock ahead of ours (tomorrow)', at(2026, 11, 23, 9), 'today'],
    ['one minute before midnight', at(2026, 11, 21, 23, 59), 'yesterday'],
    ['yesterday at midnight', at(2026, 11, 21, 0, 0), 'yesterday'],
    ['two days ago', at(2026, 11, 20, 23), 'week'],
    ['seven days ago at midnight', at(2026, 11, 15, 0, 0), 'week'],
    ['just over seven days ago', at(2026, 11, 14, 23, 59), 'month30'],
    ['thirty days ago at midnight', at(2026, 10, 23, 0, 0), 'month30'],
    ['thirty-one days ago', at(2026, 10, 22, 23, 59), '2026-10'],
    ['earlier last month', at(2026, 10, 1), '2026-10'],
    ['a year ago', at(2025, 11, 30), '2025-11'],
    ['the epoch (a missing time)', 0, '1970-01'],
  ])('%s', (_what, ms, want) => {
    expect(groupId(dateGroup(ms, now))).toBe(want);
  });

  it('counts calendar days across a month and a year boundary', () => {
    const jan1 = new Date(2027, 0, 1, 8, 0);
    expect(dateGroup(at(2026, 12, 31, 22), jan1).kind).toBe('yesterday');
    expect(dateGroup(at(2026, 12, 25), jan1).kind).toBe('week');
    expect(groupId(dateGroup(at(2026, 11, 20), jan1))).toBe('2026-11');
  });
});

describe('groupRows', () => {
  const iso = (ms: number) => new Date(ms).toISOString();
  const chat = (id: string, ms: number, pinned = false) => ({ id, updated_at: iso(ms), pinned });

  it('puts pinned chats first, then one header per date group, in order', () => {
    const rows = groupRows(
      [
        chat('a', at(2026, 11, 22, 15)),
        chat('p1', at(2026, 11, 22, 14), true),
        chat('b', at(2026, 11, 22, 9)),
        chat('c', at(2026, 11, 21, 20)),
        chat('d', at(2026, 11, 18)),
        chat('e', at(2026, 11, 1)),
        chat('p2', at(2025, 1, 1), true),
        chat('f', at(2026, 9, 30)),
        chat('g', at(2026, 9, 2)),
        chat('h', at(2025, 12, 31)),
      ],
      now,
    );
    expect(rows.map((r) => r.id)).toEqual([
      'h:pinned', 'p1', 'p2',
      'h:today', 'a', 'b',
      'h:yesterday', 'c',
      'h:week', 'd',
      'h:month30', 'e',
      'h:2026-09', 'f', 'g',
      'h:2025-12', 'h',
    ]);
  });

  it('shows no pinned header without pinned chats, and nothing for no chats', () => {
    expect(groupRows([], now)).toEqual([]);
    expect(groupRows([chat('a', at(2026, 11, 22))], now).map((r) => r.id)).toEqual(['h:today', 'a']);
  });

  it('never repeats a header when a chat arrives out of order', () => {
    const rows = groupRows([chat('a', at(2026, 11, 22)), chat('b', at(2026, 11, 21)), chat('c', at(2026, 11, 22, 1))], now);
    expect(rows.map((r) => r.id)).toEqual(['h:today', 'a', 'h:yesterday', 'b', 'c']);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
  });
});

describe('labels and times', () => {
  it('names months in the UI language', () => {
    expect(monthLabel(2026, 9, 'en')).toBe('September 2026');
    expect(monthLabel(2026, 9, 'zh')).toBe('2026年9月');
  });

  it('names every month as Intl does', () => {
    for (let m = 1; m <= 12; m++) {
      const d = new Date(2025, m - 1, 1);
      expect(monthLabel(2025, m, 'en')).toBe(new Intl.DateTimeFormat('en', { year: 'numeric', month: 'long' }).format(d));
      expect(monthLabel(2025, m, 'zh')).toBe(new Intl.DateTimeFormat('zh-CN', { year: 'numeric', month: 'long' }).format(d));
    }
  });

  it('shows the time of day today, the date this year, and the year before that', () => {
    expect(shortTime(at(2026, 11, 22, 9, 5), now, 'en')).toMatch(/^09:05( AM)?$/);
    expect(shortTime(at(2026, 3, 4, 9, 5), now, 'en')).toMatch(/^Mar 4, 09:05/);
    expect(shortTime(at(2024, 3, 4, 9, 5), now, 'en')).toBe('Mar 4, 2024');
    expect(shortTime(at(2024, 3, 4, 9, 5), now, 'zh')).toBe('2024年3月4日');
  });

  it('gives the full date for the hover text', () => {
    expect(fullTime(at(2026, 11, 22, 9, 5), 'en')).toMatch(/^Sunday, November 22, 2026 at 0?9:05:00/);
    expect(fullTime(at(2026, 11, 22, 9, 5), 'zh')).toMatch(/^2026年11月22日星期日 0?9:05:00/);
  });

  it('reads RFC 3339 times, and 0 for anything else', () => {
    expect(parseTime('2026-11-22T10:00:00Z')).toBe(Date.UTC(2026, 10, 22, 10));
    expect(parseTime('not a date')).toBe(0);
    expect(parseTime(undefined)).toBe(0);
  });
});
