import { getContext, setContext } from 'svelte';
import type { ChatStore } from './chat.svelte';
import type { Desktop } from './desktop';
import type { I18n } from './i18n.svelte';
import type { ImageConsent } from './image-consent.svelte';
import type { Layout } from './layout.svelte';
import type { OpenOutside } from './links';
import type { MarkdownRenderer } from './markdown';
import type { Theme } from './theme.svelte';
import type { Toasts } from './toasts.svelte';

/** Everything the components share, created once in main.ts. */
export interface AppContext {
  store: ChatStore;
  i18n: I18n;
  theme: Theme;
  toasts: Toasts;
  markdown: MarkdownRenderer;
  desktop: Desktop;
  /** Remote images the user agreed to load. */
  images: ImageConsent;
  /** Opens a link outside the app (system browser or a new tab). */
  openOutside: OpenOutside;
  /** Where the sidebar is (beside the chat, collapsed, a drawer). */
  layout: Layout;
}

const key = Symbol('holdfast');

export function provideApp(ctx: AppContext): void {
  setContext(key, ctx);
}

export function useApp(): AppContext {
  return getContext<AppContext>(key);
}
