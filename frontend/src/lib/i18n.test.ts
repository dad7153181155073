import { describe, expect, it } from 'vitest';
import { chineseMessages, detectLocale, englishMessages, format } from './i18n.svelte';

describe('i18n', () => {
  it.each([
    [['zh-CN'], 'zh'],
    [['zh-TW', 'en'], 'zh'],
    [['en-GB', 'zh-CN'], 'en'],
    [['fr-FR', 'zh-CN'], 'zh'],
    [['de'], 'en'],
    [[], 'en'],
  ])('picks the language for %j', (langs, want) => {
    expect(detectLocale(langs)).toBe(want);
  });

  it('formats placeholders and leaves unknown ones visible', () => {
    expect(format('{s}s (attempt {n})', { s: 3, n: 2 })).toBe('3s (attempt 2)');
    expect(format('hello {who}')).toBe('hello {who}');
  });

  it('has a Chinese text for every English one, with the same placeholders', () => {
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const [key, en] of Object.entries(englishMessages)) {
      const zh = chineseMessages[key as keyof typeof englishMessages];
      expect(zh, key).toBeTruthy();
      expect(placeholders(zh), key).toEqual(placeholders(en));
    }
  });
});
