import { HttpError, isNetworkError } from './http';
import type { I18n, MessageKey } from './i18n.svelte';
import { errorText } from './server-text';

const actionKeys: Record<string, MessageKey> = {
  send: 'action.send',
  stop: 'action.stop',
  continue: 'action.continue',
  regenerate: 'action.regenerate',
  edit: 'action.edit',
  rename: 'action.rename',
  delete: 'action.delete',
  'delete-chat': 'action.delete',
  create: 'action.create',
  model: 'action.model',
  load: 'action.load',
  export: 'action.export',
  pause: 'action.pause',
  save: 'action.save',
  switch: 'action.switch',
  pin: 'action.pin',
  unpin: 'action.unpin',
  archive: 'action.archive',
  restore: 'action.restore',
  search: 'sidebar.search',
  models: 'chat.model',
};

/** One sentence for a toast: what failed and why, in the UI language. */
export function describeError(i18n: I18n, what: string, err: unknown): string {
  const rejected = err instanceof Error && err.name === 'PermanentSendError';
  if (what === 'send' && rejected) {
    return i18n.t('error.rejected', { reason: err.message });
  }
  if (isNetworkError(err) && !rejected) return i18n.t('error.network');
  const reason = err instanceof HttpError ? errorText(i18n, err.code, err.message) : rejected ? (err as Error).message : String(err);
  const key = actionKeys[what];
  return i18n.t('error.generic', { what: key ? i18n.t(key) : what, reason });
}

/** Where the state objects report a failed action; `what` names it for the toast. */
export type ReportError = (what: string, err: unknown) => void;

/** Runs an action; a failure goes to `report` under `what` instead of being thrown. */
export async function attempt(report: ReportError | undefined, what: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    report?.(what, err);
  }
}
