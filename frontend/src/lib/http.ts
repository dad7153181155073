/**
 * The HTTP rules the REST client (api.ts) and the event stream
 * (stream/client.ts) share: how a failed answer reads, which statuses are
 * worth retrying, and the one retry with fresh credentials after a 401.
 */

import type { ErrorBody, Problem } from './protocol';

/** An error from an HTTP answer, with its status and the server's error code. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** What exactly is wrong, when the server lists it (the Settings endpoints). */
    readonly problems: readonly Problem[] = [],
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Reads `{"error":{"code","message","problems"?}}` from a failed response, tolerating anything else. */
export async function httpErrorFrom(res: Response): Promise<HttpError> {
  let code = `http_${res.status}`;
  let message = `HTTP ${res.status}`;
  let problems: Problem[] = [];
  try {
    const body = (await res.json()) as Partial<ErrorBody> | null;
    if (body?.error?.code) code = body.error.code;
    if (body?.error?.message) message = body.error.message;
    if (Array.isArray(body?.error?.problems)) {
      problems = body.error.problems.filter((p): p is Problem => typeof p?.message === 'string');
    }
  } catch {
    // Not JSON: the status line is all we know.
  }
  return new HttpError(res.status, code, message, problems);
}

/** Anything that is not an HTTP answer: refused, reset, offline, timed out. */
export function isNetworkError(err: unknown): boolean {
  return !(err instanceof HttpError);
}

/** Statuses that are the client's fault and will not get better by retrying. */
export function isFatalStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

/**
 * What to do after a failed answer: `refresh` asks the resolver for fresh
 * credentials and repeats at once (the first 401 only: the desktop backend
 * may have restarted with another port and token), `fail` gives up (a second
 * 401, or any other client error), `retry` tries again later.
 */
export function afterFailure(status: number, refreshed: boolean): 'refresh' | 'fail' | 'retry' {
  if (status === 401) return refreshed ? 'fail' : 'refresh';
  return isFatalStatus(status) ? 'fail' : 'retry';
}

/** `base` (with or without a trailing slash) followed by `path`. */
export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, '') + path;
}
