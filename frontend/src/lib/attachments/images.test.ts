import { describe, expect, it, vi } from 'vitest';
import { AttachmentImages, lastImageIds, thumbSize } from './images';

function setup() {
  let n = 0;
  const urls = { create: vi.fn(() => `blob:u${++n}`), revoke: vi.fn() };
  const load = vi.fn(async (id: string, opts: { thumb?: boolean }) => new Blob([`${id}${opts.thumb ? ' thumb' : ''}`]));
  return { urls, load, images: new AttachmentImages(load, urls) };
}

describe('attachment images', () => {
  it('fetches a thumbnail once however often it is shown', async () => {
    const { load, images } = setup();
    const [a, b] = await Promise.all([images.thumb('x'), images.thumb('x')]);
    expect(a).toBe('blob:u1');
    expect(b).toBe(a);
    expect(await images.thumb('x')).toBe(a);
    expect(load.mock.calls).toEqual([['x', { thumb: true }]]);
  });

  it('never fetches a full image for thumbnails: only the viewer asks for one, and releases it', async () => {
    const { load, urls, images } = setup();
    await images.thumb('x');
    await images.thumb('y');
    expect(load.mock.calls.every(([, o]) => o.thumb === true)).toBe(true);
    const full = await images.full('x');
    expect(load.mock.calls.at(-1)).toEqual(['x', {}]);
    full.release();
    full.release();
    expect(urls.revoke.mock.calls).toEqual([[full.url]]);
  });

  it('tries a failed thumbnail again next time', async () => {
    const { load, images } = setup();
    load.mockRejectedValueOnce(new Error('offline'));
    await expect(images.thumb('x')).rejects.toThrow('offline');
    expect(await images.thumb('x')).toMatch(/^blob:/);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it.each([
    [1600, 1200, 160, { width: 160, height: 120 }],
    [300, 900, 160, { width: 53, height: 160 }],
    [64, 48, 160, { width: 64, height: 48 }],
    [undefined, undefined, 160, { width: 160, height: 160 }],
  ])('a %sx%s image is laid out at its thumbnail size before it loads', (w, h, box, want) => {
    expect(thumbSize(w, h, box)).toEqual(want);
  });
});

describe('thumbnails fetched while a chat opens', () => {
  const img = (id: string) => ({ id, kind: 'image' });
  it('are those of the last messages, last first, images only', () => {
    const messages = [{ attachments: [img('a')] }, {}, { attachments: [img('b'), { id: 'doc', kind: 'pdf' }, img('c')] }, { attachments: [] }, { attachments: [img('d')] }];
    expect(lastImageIds(messages, 3)).toEqual(['d', 'c', 'b']);
    expect(lastImageIds(messages, 10)).toEqual(['d', 'c', 'b', 'a']);
    expect(lastImageIds([], 3)).toEqual([]);
    expect(lastImageIds(messages, 10, 2)).toEqual(['d']);
  });

  it('share the fetch the thumbnail on screen then asks for', async () => {
    const { load, images } = setup();
    images.prefetch(['x', 'y']);
    expect(await images.thumb('y')).toBe('blob:u2');
    expect(load.mock.calls.map(([id]) => id)).toEqual(['x', 'y']);
  });
});
