/** Bounds of the reconnect backoff. */
export interface BackoffOptions {
  /** Ceiling of the first delay. */
  baseMs: number;
  /** The ceiling never grows past this. */
  capMs: number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 250, capMs: 30_000 };

/**
 * Full-jitter exponential backoff: a uniform pick in [0, min(cap, base·2^attempt)).
 * `attempt` counts from 0. Jitter spreads reconnecting windows so a restarted
 * server is not hit by all of them in the same millisecond.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number): number {
  const exp = Math.min(Math.max(attempt, 0), 30); // 2^30 already exceeds any sane cap
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** exp);
  const r = Math.min(Math.max(random(), 0), 1 - Number.EPSILON);
  return Math.floor(r * ceiling);
}
