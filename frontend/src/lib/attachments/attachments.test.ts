import { describe, expect, it } from 'vitest';
import { checkAdd, formatSize, ownPreview, pastedName, previewable, readyRefs, storedDraft, type DraftFile } from './attachments';

const draft = (over: Partial<DraftFile>): DraftFile => ({
  key: 'k',
  file: new File(['x'], 'x.txt'),
  name: 'x.txt',
  size: 1,
  state: 'ready',
  ...over,
});

describe('attachments', () => {
  it('refuses too many, too big and empty files before uploading', () => {
    expect(checkAdd(0, [{ name: 'a.png', size: 10 }])).toBeNull();
    expect(checkAdd(9, [{ name: 'a', size: 1 }, { name: 'b', size: 1 }])).toMatch(/at most 10/);
    expect(checkAdd(0, [{ name: 'big.mov', size: 25 * 1024 * 1024 }])).toMatch(/big.mov is 25.0 MB; the limit is 20 MB/);
    expect(checkAdd(0, [{ name: 'empty.txt', size: 0 }])).toMatch(/empty.txt is empty/);
  });

  it('sends only when every upload is stored, in order, with the shown names', () => {
    const stored = { id: 'a'.repeat(64), name: 'server.png', size: 1, mime: 'image/png', kind: 'image' as const };
    expect(readyRefs([])).toEqual([]);
    expect(readyRefs([draft({ state: 'uploading' })])).toBeNull();
    expect(readyRefs([draft({ state: 'failed' })])).toBeNull();
    expect(readyRefs([draft({ name: 'cat.png', stored }), draft({ name: 'b.txt', stored: { ...stored, id: 'b'.repeat(64) } })])).toEqual([
      { id: 'a'.repeat(64), name: 'cat.png', size: 1, type: 'image/png' },
      { id: 'b'.repeat(64), name: 'b.txt', size: 1, type: 'image/png' },
    ]);
  });

  it('names a file kept in the browser by its local key; a failed one blocks sending', () => {
    const stored = { id: 'a'.repeat(64), name: 'a.png', size: 1, mime: 'image/png', kind: 'image' as const };
    const kept = draft({ name: 'cat.png', size: 7, state: 'waiting', local: 'k1', file: new File(['x'], 'cat.png', { type: 'image/png' }) });
    expect(readyRefs([draft({ name: 'a.png', stored }), kept])).toEqual([
      { id: 'a'.repeat(64), name: 'a.png', size: 1, type: 'image/png' },
      { name: 'cat.png', local: 'k1', size: 7, type: 'image/png' },
    ]);
    expect(readyRefs([draft({ state: 'waiting' })])).toBeNull(); // waiting but not kept: nothing to send
    expect(readyRefs([kept, draft({ state: 'failed' })])).toBeNull();
  });

  it('previews raster images only, never SVG', () => {
    expect(previewable('image/png')).toBe(true);
    expect(previewable('image/svg+xml')).toBe(false);
    expect(previewable('text/html')).toBe(false);
  });

  it('formats sizes and names pasted images', () => {
    expect(formatSize(512)).toBe('512 bytes');
    expect(formatSize(2048)).toBe('2 KB');
    expect(formatSize(10 * 1024 * 1024)).toBe('10.0 MB');
    expect(pastedName('image/png', new Date(2026, 10, 22, 9, 5, 7))).toBe('pasted 2026-11-22 09.05.07.png');
  });
});

describe('files the desktop dialog stored', () => {
  const a = { id: 'b'.repeat(64), name: 'kelp.png', size: 1764, mime: 'image/png', kind: 'image' as const, width: 120, height: 80 };

  it('become ready chips the message is sent with', () => {
    const d = storedDraft('f1', a);
    expect(d.state).toBe('ready');
    expect(readyRefs([d])).toMatchObject([{ id: a.id, name: 'kelp.png' }]);
  });

  it('keep the shared thumbnail when removed; a chip revokes only the preview of its own file', () => {
    expect(ownPreview({ ...storedDraft('f1', a), preview: 'blob:shared' })).toBe(false);
    const own: DraftFile = { key: 'f2', file: new File(['x'], 'x.png'), name: 'x.png', size: 1, state: 'ready', preview: 'blob:own' };
    expect(ownPreview(own)).toBe(true);
  });
});
