export type ThemePref = 'system' | 'light' | 'dark';

const key = 'holdfast.theme';

/** Dark/light: follows the system until the user picks one; the choice is remembered. */
export class Theme {
  pref = $state<ThemePref>('system');
  #systemDark = $state(false);
  readonly effective = $derived<'light' | 'dark'>(this.pref === 'system' ? (this.#systemDark ? 'dark' : 'light') : this.pref);
  #media: MediaQueryList | null = null;
  #onMedia = (e: MediaQueryListEvent) => {
    this.#systemDark = e.matches;
    this.#apply();
  };

  constructor() {
    const saved = safeGet(key);
    if (saved === 'light' || saved === 'dark' || saved === 'system') this.pref = saved;
    if (typeof matchMedia === 'function') {
      this.#media = matchMedia('(prefers-color-scheme: dark)');
      this.#systemDark = this.#media.matches;
      this.#media.addEventListener('change', this.#onMedia);
    }
    this.#apply();
  }

  set(pref: ThemePref): void {
    this.pref = pref;
    safeSet(key, pref);
    this.#apply();
  }

  /** Flips between light and dark (the desktop View menu and the header button). */
  toggle(): void {
    this.set(this.effective === 'dark' ? 'light' : 'dark');
  }

  #apply(): void {
    if (typeof document !== 'undefined') document.documentElement.dataset.theme = this.effective;
  }
}

export function safeGet(k: string): string | null {
  try {
    return localStorage.getItem(k);
  } catch {
    return null;
  }
}

export function safeSet(k: string, v: string): void {
  try {
    localStorage.setItem(k, v);
  } catch {
    // Storage disabled: the choice lasts for this page only.
  }
}
