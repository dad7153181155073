// First, so that its request leaves before the rest of the bundle runs (boot.ts).
import { early } from './boot';
import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { browserFileStore } from './lib/attachments/filestore';
import { ChatStore } from './lib/chat.svelte';
import { applyUi } from './lib/config.svelte';
import { connectDesktop } from './lib/desktop';
import { describeError } from './lib/errors';
import { I18n } from './lib/i18n.svelte';
import { ImageConsent } from './lib/image-consent.svelte';
import { outsideOpener } from './lib/links';
import { MarkdownRenderer } from './lib/markdown';
import { installNavigationGuard } from './lib/navguard';
import { Layout } from './lib/layout.svelte';
import { dateWarmers } from './lib/dates';
import { withEarly } from './lib/early';
import { captureTokenFromHash, defaultResolver } from './lib/stream/resolver';
import { streamTuning } from './lib/stream/tuning';
import { Theme } from './lib/theme.svelte';
import { Toasts } from './lib/toasts.svelte';

performance.mark('holdfast:start');
// Take the token out of the address bar before anything else runs.
captureTokenFromHash(window);

const i18n = new I18n();
const theme = new Theme();
const toasts = new Toasts();
const markdown = new MarkdownRenderer({ window, copyLabel: i18n.t('chat.copyCode') });

const layout = new Layout(window);

let store: ChatStore;
let app: { showShortcuts(): void } | undefined;
const desktop = connectDesktop(window, {
  newChat: () => void store.newChat(),
  toggleTheme: () => theme.toggle(),
  openSession: (id) => void store.conversation.open(id),
  shortcuts: () => app?.showShortcuts(),
});

// Nothing may navigate the app's page away: links leave through the system browser or a new tab.
const openOutside = outsideOpener(window, desktop);
installNavigationGuard(window, openOutside, { desktop: desktop.present });
const images = new ImageConsent(localStorage);

store = new ChatStore({
  resolve: defaultResolver(window),
  // The first page of chats may already be on its way (boot.ts).
  fetch: withEarly(early, globalThis.fetch.bind(globalThis)),
  storage: localStorage,
  files: browserFileStore(window),
  stream: streamTuning(window),
  onError: (what, err) => toasts.error(describeError(i18n, what, err)),
  onStatus: (status) => desktop.streamStatus(status),
  onResumed: () => desktop.wordsResumed(),
  onActive: (id) => desktop.activeSession(id),
  onConfigUi: (ui) => applyUi({ theme, i18n }, ui),
});

// Connect first: the resync's requests (the chat list's first page, the open
// chat) go out in this task's microtasks, and the page mounts while they are
// on their way instead of before they leave.
store.start();
if (store.conversation.id) desktop.activeSession(store.conversation.id);
// For the end-to-end and speed tests, which read the client's state from the page.
(window as unknown as { holdfast: unknown }).holdfast = { store, client: store.client };

// Mount with the first page of chats when it comes quickly (one layout of
// the whole app with its rows, not one without and one with them); a slow
// server does not hold the page back longer than a moment.
void Promise.race([store.listed, new Promise((resolve) => setTimeout(resolve, 150))]).then(() => {
  performance.mark('holdfast:mount');
  app = mount(App, {
    target: document.getElementById('app')!,
    props: { ctx: { store, i18n, theme, toasts, markdown, desktop, images, openOutside, layout } },
  });
  performance.mark('holdfast:mounted'); // marks for the speed tests (frontend/e2e/bench-history.mjs)
  // Date formatters take milliseconds each to make: make them one by one in
  // idle moments, once the first screen is long done.
  const steps = dateWarmers(i18n.locale);
  const idle = (cb: () => void) => ('requestIdleCallback' in window ? requestIdleCallback(cb, { timeout: 5000 }) : setTimeout(cb, 200));
  const next = () => steps.length && idle(() => (steps.shift()?.(), next()));
  setTimeout(next, 2000);
});
