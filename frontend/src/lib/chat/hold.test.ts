import { describe, expect, it } from 'vitest';
import { EventHold } from './hold';

function later() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('EventHold', () => {
  it('holds a chat’s events through overlapping requests and applies them in order after the last', async () => {
    const applied: string[] = [];
    const hold = new EventHold<string>((ev) => applied.push(ev));
    const a = later();
    const b = later();
    const first = hold.run('s1', () => a.promise);
    const second = hold.run('s1', () => b.promise);
    expect(hold.offer('s1', 'e1')).toBe(true);
    expect(hold.offer('s2', 'other chat')).toBe(false); // not held: applied by the caller
    a.resolve();
    await first;
    expect(hold.offer('s1', 'e2')).toBe(true);
    expect(applied).toEqual([]);
    b.resolve();
    await second;
    expect(applied).toEqual(['e1', 'e2']);
    expect(hold.offer('s1', 'e3')).toBe(false);
  });

  it('lets the events after one that starts a new hold wait for it', async () => {
    const applied: string[] = [];
    const reload = later();
    let reloading: Promise<void> | null = null;
    const hold: EventHold<string> = new EventHold<string>((ev) => {
      applied.push(ev);
      if (ev === 'switched') reloading = hold.run('s1', () => reload.promise);
    });
    const g = later();
    const run = hold.run('s1', () => g.promise);
    for (const ev of ['a', 'switched', 'b', 'c']) hold.offer('s1', ev);
    g.resolve();
    await run;
    expect(applied).toEqual(['a', 'switched']);
    expect(hold.offer('s1', 'd')).toBe(true);
    reload.resolve();
    await reloading;
    expect(applied).toEqual(['a', 'switched', 'b', 'c', 'd']);
  });

  it('drops what was held for a chat no longer shown', async () => {
    const applied: string[] = [];
    const hold = new EventHold<string>((ev) => applied.push(ev));
    const g = later();
    const old = hold.run('s1', () => g.promise);
    hold.offer('s1', 'stale');
    await hold.run('s2', async () => {
      hold.offer('s2', 'fresh');
    });
    g.resolve();
    await old;
    expect(applied).toEqual(['fresh']);
  });
});
