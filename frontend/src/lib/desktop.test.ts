import { describe, expect, it, vi } from 'vitest';
import { connectDesktop, findRuntime } from './desktop';

function fakeRuntime() {
  const handlers = new Map<string, (...a: unknown[]) => void>();
  const offs: string[] = [];
  return {
    handlers,
    offs,
    runtime: {
      EventsEmit: vi.fn(),
      EventsOn: vi.fn((name: string, cb: (...a: unknown[]) => void) => {
        handlers.set(name, cb);
        return () => offs.push(name);
      }),
      BrowserOpenURL: vi.fn(),
    },
  };
}

describe('desktop bridge', () => {
  it('does nothing in a plain browser', () => {
    const handlers = { newChat: vi.fn(), toggleTheme: vi.fn(), openSession: vi.fn() };
    const d = connectDesktop({}, handlers);
    expect(d.present).toBe(false);
    d.activeSession('s1');
    d.streamStatus({ state: 'live', connectionId: 'c' });
    expect(d.openExternal('https://example.com')).toBe(false);
    d.dispose();
    expect(findRuntime({ runtime: { EventsEmit: 1 } })).toBeNull();
  });

  it('emits the open chat and the stream status, and runs the menu commands', () => {
    const { runtime, handlers: on, offs } = fakeRuntime();
    const handlers = { newChat: vi.fn(), toggleTheme: vi.fn(), openSession: vi.fn() };
    const d = connectDesktop({ runtime }, handlers);
    expect(d.present).toBe(true);

    d.activeSession('s_1');
    d.activeSession(null);
    d.streamStatus({ state: 'reconnecting', attempt: 2, delayMs: 500, retryAt: 1, reason: 'x', since: 0 });
    expect(runtime.EventsEmit.mock.calls).toEqual([
      ['active-session', 's_1'],
      ['active-session', ''],
      ['stream-status', { state: 'reconnecting', attempt: 2, delayMs: 500, retryAt: 1, reason: 'x', since: 0 }],
    ]);

    on.get('menu:new-chat')!();
    on.get('menu:toggle-theme')!();
    on.get('menu:open-session')!('s_9');
    on.get('menu:open-session')!(42); // not an id: ignored
    expect(handlers.newChat).toHaveBeenCalledTimes(1);
    expect(handlers.toggleTheme).toHaveBeenCalledTimes(1);
    expect(handlers.openSession.mock.calls).toEqual([['s_9']]);

    expect(d.openExternal('https://example.com/x')).toBe(true);
    expect(runtime.BrowserOpenURL).toHaveBeenCalledWith('https://example.com/x');

    d.dispose();
    expect(offs.sort()).toEqual(['menu:new-chat', 'menu:open-session', 'menu:toggle-theme']);
  });
});
