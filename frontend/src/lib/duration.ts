import type { Translate } from './i18n.svelte';

/** A span of time for people: "45 s", "2 min 5 s". */
export function formatDuration(t: Translate, ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  if (total < 60) return t('duration.seconds', { n: total });
  return t('duration.minutes', { m: Math.floor(total / 60), s: total % 60 });
}
