/**
 * Streamed text on its way to the messages. Deltas arrive far faster than
 * the screen refreshes; buffering them per message and flushing once per
 * animation frame turns many changes into one render.
 */
export class DeltaBuffer {
  readonly #pending = new Map<string, { text: string; count: number }>();
  readonly #frame: ((cb: () => void) => unknown) | undefined;
  readonly #flush: () => void;
  #queued = false;

  /** `frame` schedules `flush` (requestAnimationFrame when not given). */
  constructor(frame: ((cb: () => void) => unknown) | undefined, flush: () => void) {
    this.#frame = frame;
    this.#flush = flush;
  }

  /** Chunks of message `id` waiting here. */
  count(id: string): number {
    return this.#pending.get(id)?.count ?? 0;
  }

  has(id: string): boolean {
    return this.#pending.has(id);
  }

  /** Buffers one chunk and makes sure a frame will flush it. */
  add(id: string, text: string): void {
    const buf = this.#pending.get(id);
    if (buf) {
      buf.text += text;
      buf.count++;
    } else {
      this.#pending.set(id, { text, count: 1 });
    }
    this.#queue();
  }

  /** Hands every buffered message's text and chunk count to `apply`, then forgets them. */
  drain(apply: (id: string, text: string, count: number) => void): void {
    for (const [id, buf] of this.#pending) apply(id, buf.text, buf.count);
    this.#pending.clear();
  }

  delete(id: string): void {
    this.#pending.delete(id);
  }

  clear(): void {
    this.#pending.clear();
  }

  #queue(): void {
    if (this.#queued) return;
    this.#queued = true;
    const frame = this.#frame ?? ((cb: () => void) => requestAnimationFrame(cb));
    frame(() => {
      this.#queued = false;
      this.#flush();
    });
  }
}
