/**
 * Pictures of stored images for the page, as blob: URLs (see
 * Api.attachmentBlob for why). Thumbnails are fetched once, when a message
 * showing one is on screen, and kept while the page lives (a few KB each);
 * a full image is fetched only when the viewer opens it and released when
 * it closes.
 */

export type LoadImage = (id: string, opts: { thumb?: boolean }) => Promise<Blob>;

export interface ObjectURLs {
  create(blob: Blob): string;
  revoke(url: string): void;
}

const browserURLs: ObjectURLs = {
  create: (b) => URL.createObjectURL(b),
  revoke: (u) => URL.revokeObjectURL(u),
};

/** A full-size image on loan to the viewer; release it when the viewer closes. */
export interface FullImage {
  url: string;
  release(): void;
}

export class AttachmentImages {
  readonly #load: LoadImage;
  readonly #urls: ObjectURLs;
  readonly #thumbs = new Map<string, Promise<string>>();

  constructor(load: LoadImage, urls: ObjectURLs = browserURLs) {
    this.#load = load;
    this.#urls = urls;
  }

  /** The thumbnail of image `id`; asked twice, fetched once. A failed fetch is tried again next time. */
  thumb(id: string): Promise<string> {
    let p = this.#thumbs.get(id);
    if (!p) {
      p = this.#load(id, { thumb: true }).then((b) => this.#urls.create(b));
      this.#thumbs.set(id, p);
      p.catch(() => {
        if (this.#thumbs.get(id) === p) this.#thumbs.delete(id);
      });
    }
    return p;
  }

  /** Starts fetching the thumbnails of ids (in that order) without waiting; errors are left for thumb() to retry. */
  prefetch(ids: string[]): void {
    for (const id of ids) this.thumb(id).catch(() => {});
  }

  /** The full image `id`, fetched now. */
  async full(id: string): Promise<FullImage> {
    const url = this.#urls.create(await this.#load(id, {}));
    let released = false;
    return {
      url,
      release: () => {
        if (!released) this.#urls.revoke(url);
        released = true;
      },
    };
  }
}

/** The size to give a thumbnail's <img> before it loads (no reflow): the image's own proportions within box × box. */
export function thumbSize(width: number | undefined, height: number | undefined, box: number): { width: number; height: number } {
  if (!width || !height) return { width: box, height: box };
  const scale = Math.min(1, box / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * The images on the last messages of a chat, last first, at most n: a chat
 * opens at its end, so their thumbnails are the first on screen and can be
 * fetched while the messages are still being laid out. Only the last
 * `within` messages are looked at.
 */
export function lastImageIds(messages: readonly { attachments?: readonly { id: string; kind: string }[] }[], n: number, within = 24): string[] {
  const ids: string[] = [];
  // Only the last `within` messages: this runs as an answer streams, in chats of thousands.
  for (let i = messages.length - 1; i >= Math.max(0, messages.length - within) && ids.length < n; i--) {
    const files = messages[i].attachments ?? [];
    for (let j = files.length - 1; j >= 0 && ids.length < n; j--) if (files[j].kind === 'image') ids.push(files[j].id);
  }
  return ids;
}
