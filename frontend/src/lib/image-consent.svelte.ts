// Which remote images the user agreed to load. A click on "Load image"
// allows that URL in that chat until the page closes; "Always load images in
// this chat" is remembered in localStorage, one key per chat.

/** The part of Storage this needs (localStorage in the app). */
export type ConsentStorage = Pick<Storage, 'getItem' | 'setItem'>;

const prefix = 'holdfast.images.';

export class ImageConsent {
  readonly #storage: ConsentStorage | null;
  /** What storage said per chat (a plain cache: reading it must not write state). */
  readonly #chats = new Map<string, boolean>();
  /** Bumped when a chat is allowed, so views reading chatAllowed() update. */
  #version = $state(0);
  /** "<chat>\n<url>" loaded by a click, for this page's life. */
  #once = $state<Record<string, true>>({});

  constructor(storage: ConsentStorage | null) {
    this.#storage = storage;
  }

  /** True when the user chose to always load images in this chat. */
  chatAllowed(chatId: string): boolean {
    void this.#version;
    if (!chatId) return false;
    let allowed = this.#chats.get(chatId);
    if (allowed === undefined) {
      try {
        allowed = this.#storage?.getItem(prefix + chatId) === 'always';
      } catch {
        allowed = false; // storage disabled: nothing remembered
      }
      this.#chats.set(chatId, allowed);
    }
    return allowed;
  }

  /** True when `url` may load in this chat. */
  allowed(chatId: string, url: string): boolean {
    return this.chatAllowed(chatId) || this.#once[`${chatId}\n${url}`] === true;
  }

  /** Loads this URL in this chat from now on (until the page closes). */
  allowOnce(chatId: string, url: string): void {
    this.#once[`${chatId}\n${url}`] = true;
  }

  /** Always loads images in this chat, remembered across restarts. */
  allowChat(chatId: string): void {
    if (!chatId) return;
    this.#chats.set(chatId, true);
    this.#version++;
    try {
      this.#storage?.setItem(prefix + chatId, 'always');
    } catch {
      // storage full or disabled: allowed for this page's life only
    }
  }
}
