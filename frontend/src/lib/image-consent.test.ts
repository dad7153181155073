import { describe, expect, it } from 'vitest';
import { ImageConsent } from './image-consent.svelte';

function memoryStorage() {
  const m = new Map<string, string>();
  return { map: m, getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
}

describe('image consent', () => {
  it('allows nothing until asked', () => {
    const c = new ImageConsent(memoryStorage());
    expect(c.allowed('s1', 'https://img.example/a.png')).toBe(false);
    expect(c.chatAllowed('s1')).toBe(false);
  });

  it('a click allows that image in that chat only, and is not remembered', () => {
    const storage = memoryStorage();
    const c = new ImageConsent(storage);
    c.allowOnce('s1', 'https://img.example/a.png');
    expect(c.allowed('s1', 'https://img.example/a.png')).toBe(true);
    expect(c.allowed('s1', 'https://img.example/b.png')).toBe(false);
    expect(c.allowed('s2', 'https://img.example/a.png')).toBe(false);
    expect(storage.map.size).toBe(0);
    expect(new ImageConsent(storage).allowed('s1', 'https://img.example/a.png')).toBe(false);
  });

  it('"always in this chat" is remembered per chat across restarts', () => {
    const storage = memoryStorage();
    const c = new ImageConsent(storage);
    c.allowChat('s1');
    expect(c.allowed('s1', 'https://any.example/x.png')).toBe(true);
    expect(c.allowed('s2', 'https://any.example/x.png')).toBe(false);
    expect(storage.map.get('holdfast.images.s1')).toBe('always');
    const later = new ImageConsent(storage);
    expect(later.chatAllowed('s1')).toBe(true);
    expect(later.chatAllowed('s2')).toBe(false);
    expect(later.chatAllowed('')).toBe(false);
  });

  it('works for the page’s life when storage fails', () => {
    const broken = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
    };
    const c = new ImageConsent(broken);
    expect(c.chatAllowed('s1')).toBe(false);
    c.allowChat('s1');
    expect(c.chatAllowed('s1')).toBe(true);
  });
});
