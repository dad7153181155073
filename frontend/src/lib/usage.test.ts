import { describe, expect, it } from 'vitest';
import { chineseMessages, englishMessages, format, type Translate } from './i18n.svelte';
import { formatUsage } from './usage';

const en: Translate = (k, vars) => format(englishMessages[k], vars);
const zh: Translate = (k, vars) => format(chineseMessages[k], vars);

describe('formatUsage', () => {
  it.each([
    [{ input_tokens: 12, output_tokens: 340 }, '12 in / 340 out'],
    [{ input_tokens: 1234, output_tokens: 56789 }, '1,234 in / 56,789 out'],
    [{ input_tokens: 0, output_tokens: 5 }, '0 in / 5 out'],
    [{ input_tokens: 0, output_tokens: 0 }, ''],
    [undefined, ''],
    [null, ''],
  ])('English %j', (usage, want) => {
    expect(formatUsage(en, 'en', usage)).toBe(want);
  });

  it('Chinese', () => {
    expect(formatUsage(zh, 'zh', { input_tokens: 12, output_tokens: 3400 })).toBe('输入 12 / 输出 3,400');
  });
});
