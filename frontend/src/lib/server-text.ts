import type { I18n } from './i18n.svelte';

/**
 * Texts that come from the server, in the UI's language. The server writes
 * English and adds a code; the English UI shows the server's own words
 * (often more precise), other languages a translation chosen by the code,
 * with the server's words after it where they carry details (a provider's
 * own message, a file name). Unknown codes fall back to the server's text.
 */

/** The title the server gives a chat before it has one of its own (chat.DefaultTitle). */
export const serverDefaultTitle = 'New chat';

type Lookup = Pick<I18n, 't' | 'locale' | 'has'>;

/** A chat's title as shown: the server's placeholder title is translated. */
export function sessionTitle(i18n: Lookup, title: string | undefined): string {
  return !title || title === serverDefaultTitle ? i18n.t('sidebar.new') : title;
}

/** The text of an error code (`server.error.<code>` keys), or null when the code is unknown. */
function known(i18n: Lookup, prefix: string, code: string | undefined): string | null {
  if (!code) return null;
  const key = `${prefix}.${code}`;
  return i18n.has(key) ? i18n.t(key) : null;
}

/** An API error (`{"error":{"code","message"}}`) for a toast or a note. */
export function errorText(i18n: Lookup, code: string | undefined, message: string): string {
  if (i18n.locale === 'en' && message) return message;
  return known(i18n, 'server.error', code) ?? message;
}

/**
 * Why an answer failed: its kind translated (`error_kind`, the provider
 * error kinds of internal/llm), then the provider's own words.
 */
export function failureText(i18n: Lookup, code: string | undefined, message: string | undefined): string {
  const detail = message ?? '';
  if (i18n.locale === 'en') return detail || (known(i18n, 'server.failure', code) ?? '—');
  const kind = known(i18n, 'server.failure', code);
  if (!kind) return detail || '—';
  return detail ? `${kind} (${detail})` : kind;
}

/** A warning about the configuration or a provider (a Problem with a code). */
export function warningText(i18n: Lookup, code: string | undefined, message: string): string {
  if (i18n.locale === 'en') return message;
  return known(i18n, 'server.warning', code) ?? message;
}
