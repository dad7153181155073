import type { Usage } from './protocol';
import type { Locale, Translate } from './i18n.svelte';

/** One number formatter per language: making one costs milliseconds, and every answer shows its usage. */
const formats = new Map<Locale, Intl.NumberFormat>();
function numbers(locale: Locale): Intl.NumberFormat {
  let f = formats.get(locale);
  if (!f) formats.set(locale, (f = new Intl.NumberFormat(locale === 'zh' ? 'zh-CN' : 'en-US')));
  return f;
}

/**
 * "12 in / 340 out" (or its translation) for an answer's token usage; ""
 * when the provider reported none.
 */
export function formatUsage(t: Translate, locale: Locale, usage: Usage | null | undefined): string {
  if (!usage) return '';
  const input = usage.input_tokens ?? 0;
  const output = usage.output_tokens ?? 0;
  if (input <= 0 && output <= 0) return '';
  const n = numbers(locale);
  return t('chat.usage', { in: n.format(input), out: n.format(output) });
}
