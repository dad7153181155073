import { describe, expect, it, vi } from 'vitest';
import { connectDesktop, findRuntime, shellSafeURL } from './desktop';

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
    const handlers = { newChat: vi.fn(), toggleTheme: vi.fn(), openSession: vi.fn(), shortcuts: vi.fn() };
    const d = connectDesktop({}, handlers);
    expect(d.present).toBe(false);
    d.activeSession('s1');
    d.streamStatus({ state: 'live', connectionId: 'c' });
    expect(d.openExternal('https://example.com')).toBe(false);
    d.dispose();
    expect(findRuntime({ runtime: { EventsEmit: 1 } })).toBeNull();
  });

  it('says when words are back and restarts the backend through the binding', async () => {
    const { runtime } = fakeRuntime();
    const RestartBackend = vi.fn(async () => {});
    const handlers = { newChat: vi.fn(), toggleTheme: vi.fn(), openSession: vi.fn(), shortcuts: vi.fn() };
    const d = connectDesktop({ runtime, go: { app: { App: { RestartBackend } } } }, handlers);
    d.wordsResumed();
    expect(runtime.EventsEmit.mock.calls).toEqual([['stream-words']]);
    expect(d.restartBackend).not.toBeNull();
    await d.restartBackend!();
    expect(RestartBackend).toHaveBeenCalledTimes(1);
    // Without the binding (or in a browser) there is no Restart Backend to offer.
    expect(connectDesktop({ runtime }, handlers).restartBackend).toBeNull();
    expect(connectDesktop({}, handlers).restartBackend).toBeNull();
  });

  it('emits the open chat and the stream status, and runs the menu commands', () => {
    const { runtime, handlers: on, offs } = fakeRuntime();
    const handlers = { newChat: vi.fn(), toggleTheme: vi.fn(), openSession: vi.fn(), shortcuts: vi.fn() };
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
    on.get('menu:shortcuts')!();
    expect(handlers.shortcuts).toHaveBeenCalledTimes(1);
    expect(handlers.newChat).toHaveBeenCalledTimes(1);
    expect(handlers.toggleTheme).toHaveBeenCalledTimes(1);
    expect(handlers.openSession.mock.calls).toEqual([['s_9']]);

    expect(d.openExternal('https://example.com/x')).toBe(true);
    expect(runtime.BrowserOpenURL).toHaveBeenCalledWith('https://example.com/x');

    d.dispose();
    expect(offs.sort()).toEqual(['menu:new-chat', 'menu:open-session', 'menu:shortcuts', 'menu:toggle-theme']);
  });
});

describe('the paperclip binding', () => {
  const handlers = () => ({ newChat: vi.fn(), toggleTheme: vi.fn(), openSession: vi.fn(), shortcuts: vi.fn() });
  const png = { id: 'a'.repeat(64), name: 'photo.png', size: 10, mime: 'image/png', kind: 'image' as const, width: 4, height: 3 };

  it('calls App.PickAttachments with the room left on the message and passes its answer on', async () => {
    const { runtime } = fakeRuntime();
    const PickAttachments = vi.fn(async () => ({ files: [png], errors: [{ name: 'x.zip', code: 'unsupported_type', message: 'no' }] }));
    const d = connectDesktop({ runtime, go: { app: { App: { PickAttachments } } } }, handlers());
    expect(d.pickAttachments).not.toBeNull();
    const got = await d.pickAttachments!(7);
    expect(PickAttachments.mock.calls).toEqual([[7]]);
    expect(got).toEqual({ files: [png], errors: [{ name: 'x.zip', code: 'unsupported_type', message: 'no' }] });
  });

  it('reads a null answer (a Go nil slice) as a cancelled dialog', async () => {
    const { runtime } = fakeRuntime();
    const d = connectDesktop({ runtime, go: { app: { App: { PickAttachments: async () => ({ files: null, errors: null }) } } } }, handlers());
    expect(await d.pickAttachments!(10)).toEqual({ files: [], errors: [] });
  });

  it('is null in a plain browser and in a window without the binding, so the file input is used', () => {
    const { runtime } = fakeRuntime();
    expect(connectDesktop({}, handlers()).pickAttachments).toBeNull();
    expect(connectDesktop({ go: { app: { App: { PickAttachments: async () => ({}) } } } }, handlers()).pickAttachments).toBeNull();
    expect(connectDesktop({ runtime }, handlers()).pickAttachments).toBeNull();
    expect(connectDesktop({ runtime, go: { app: { App: { PickAttachments: 'no' } } } }, handlers()).pickAttachments).toBeNull();
  });
});

describe('URLs handed to the system browser', () => {
  it.each([
    ['https://en.wikipedia.org/wiki/Mercury_(planet)', 'https://en.wikipedia.org/wiki/Mercury_%28planet%29'],
    ['https://example.com/~user/a*b!c;d$e?q=[1]&r={2}#x|y', 'https://example.com/%7Euser/a%2Ab%21c%3Bd%24e?q=%5B1%5D&r=%7B2%7D#x%7Cy'],
    ['https://example.com/plain?a=1&b=2#f', 'https://example.com/plain?a=1&b=2#f'],
    ["mailto:a@example.com?subject=it's", 'mailto:a@example.com?subject=it%27s'],
  ])('%s is encoded so Wails accepts it', (url, want) => {
    expect(shellSafeURL(url)).toBe(want);
    // What wailsapp/wails v2.16.0 internal/frontend/utils.ValidateAndSanitizeURL refuses:
    expect(/[;|`$\\<>*{}[\]()~! \t\n\r]/.test(shellSafeURL(url).replace(/^[a-z]+:(\/\/[^/?#]*)?/i, ''))).toBe(false);
  });

  it('openExternal passes the encoded URL to BrowserOpenURL', () => {
    const { runtime } = fakeRuntime();
    const d = connectDesktop({ runtime }, { newChat: vi.fn(), toggleTheme: vi.fn(), openSession: vi.fn(), shortcuts: vi.fn() });
    expect(d.openExternal('https://example.com/a_(b)')).toBe(true);
    expect(runtime.BrowserOpenURL).toHaveBeenCalledWith('https://example.com/a_%28b%29');
  });
});
