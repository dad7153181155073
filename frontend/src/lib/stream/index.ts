export { StreamClient, HttpError, httpErrorFrom } from './client';
export type { ErrorProblem, StreamClientOptions, StreamEnv } from './client';
export { Outbox, PermanentSendError, flushOnLive } from './outbox';
export type { OutboxItem, OutboxOptions, OutboxStorage } from './outbox';
export { backoffDelay, defaultBackoff } from './backoff';
export { parseEventId, earlierHead } from './eventid';
export {
  browserResolver,
  captureTokenFromHash,
  defaultResolver,
  findWailsApp,
  wailsResolver,
  MissingTokenError,
} from './resolver';
export type * from './types';
