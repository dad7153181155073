import { getContext, setContext } from 'svelte';
import type { ChatStore } from './chat.svelte';
import type { Desktop } from './desktop';
import type { I18n } from './i18n.svelte';
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
}

const key = Symbol('holdfast');

export function provideApp(ctx: AppContext): void {
  setContext(key, ctx);
}

export function useApp(): AppContext {
  return getContext<AppContext>(key);
}
