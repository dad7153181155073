import { safeGet, safeSet } from './theme.svelte';

/** Windows this narrow show the sidebar as a drawer (matches the CSS). */
export const drawerWidth = 720;
const collapsedKey = 'holdfast.sidebar.collapsed';

/**
 * Where the sidebar is: beside the chat, collapsed out of the way (the
 * user's choice, remembered), or, in narrow windows, a drawer that opens
 * over the chat behind a button.
 */
export class Layout {
  #narrow = $state(false);
  #drawerOpen = $state(false);
  #collapsed = $state(false);
  #media: MediaQueryList | null = null;

  constructor(w: Pick<Window, 'matchMedia'> | null = typeof window !== 'undefined' ? window : null) {
    this.#collapsed = safeGet(collapsedKey) === '1';
    if (w && typeof w.matchMedia === 'function') {
      this.#media = w.matchMedia(`(max-width: ${drawerWidth}px)`);
      this.#narrow = this.#media.matches;
      this.#media.addEventListener('change', (e) => {
        this.#narrow = e.matches;
        this.#drawerOpen = false; // a drawer left open would cover the chat when the window narrows again
      });
    }
  }

  /** The window is narrow: the sidebar is a drawer. */
  get narrow(): boolean {
    return this.#narrow;
  }

  /** The drawer is open (narrow windows only). */
  get drawerOpen(): boolean {
    return this.#narrow && this.#drawerOpen;
  }

  /** The user folded the sidebar away (wide windows only). */
  get collapsed(): boolean {
    return !this.#narrow && this.#collapsed;
  }

  /** The sidebar can be seen and used now. */
  get sidebarShown(): boolean {
    return this.#narrow ? this.#drawerOpen : !this.#collapsed;
  }

  /** The header's sidebar button: opens the drawer, or unfolds the sidebar. */
  showSidebar(): void {
    if (this.#narrow) this.#drawerOpen = true;
    else this.#setCollapsed(false);
  }

  /** Closes the drawer, or folds the sidebar away. */
  hideSidebar(): void {
    if (this.#narrow) this.#drawerOpen = false;
    else this.#setCollapsed(true);
  }

  toggleSidebar(): void {
    if (this.sidebarShown) this.hideSidebar();
    else this.showSidebar();
  }

  /** A chat was chosen: a drawer has done its job. */
  chose(): void {
    this.#drawerOpen = false;
  }

  #setCollapsed(v: boolean): void {
    this.#collapsed = v;
    safeSet(collapsedKey, v ? '1' : '0');
  }
}
