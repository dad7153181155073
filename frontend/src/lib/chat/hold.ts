/**
 * One chat's events held back while requests that change what it shows
 * are in flight (a snapshot, a switch, an edit), so they apply on top of
 * the answer and never underneath it. Requests may overlap: the events
 * are applied, in order, when the last one is done. Applying an event may
 * start another hold (a `branch.switched` reloads part of the path); the
 * events after it then wait for that one.
 */
export class EventHold<E> {
  #held: { id: string; events: E[]; holders: number } | null = null;
  readonly #apply: (ev: E) => void;

  constructor(apply: (ev: E) => void) {
    this.#apply = apply;
  }

  /** Keeps `ev` of chat `id` if that chat's events are held; false when it should be applied now. */
  offer(id: string | undefined, ev: E): boolean {
    if (!this.#held || id !== this.#held.id) return false;
    this.#held.events.push(ev);
    return true;
  }

  /**
   * Runs `fn` with chat `id`'s events held. Events held for another chat
   * (one no longer shown) are dropped: its next snapshot has them.
   */
  async run<T>(id: string, fn: () => Promise<T>): Promise<T> {
    if (this.#held && this.#held.id !== id) this.#held = null;
    if (this.#held) this.#held.holders++;
    else this.#held = { id, events: [], holders: 1 };
    const mine = this.#held;
    try {
      return await fn();
    } finally {
      if (this.#held === mine && --mine.holders === 0) this.#release(mine);
    }
  }

  #release(held: { events: E[] }): void {
    this.#held = null;
    for (let i = 0; i < held.events.length; i++) {
      this.#apply(held.events[i]);
      const again = this.#held as { events: E[] } | null; // the event started another hold
      if (again) {
        again.events.unshift(...held.events.slice(i + 1));
        return;
      }
    }
  }
}
