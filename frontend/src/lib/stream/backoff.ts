/** Bounds of the reconnect backoff for a remote server. */
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

/** How a backend on this machine is retried. */
export interface LocalRetryOptions {
  /** Between attempts while it has been down for less than the threshold. */
  intervalMs: number;
  /** Between attempts once it has been down past the threshold (the banner shows). */
  slowIntervalMs: number;
}

/**
 * A refused connection on loopback costs microseconds and there is no herd
 * of clients to spread, so a local backend is tried again at a short
 * constant interval: the user sees words again within a fraction of a
 * second of it being back, instead of waiting out an exponential ladder.
 */
export const defaultLocalRetry: LocalRetryOptions = { intervalMs: 250, slowIntervalMs: 2_000 };

/** How long a backend may be unreachable before the client says so plainly (status failed, the banner). */
export const defaultDownAfterMs = 30_000;

/** What decides the next delay. */
export interface RetryState {
  /** Attempts since the connection was last live (0 = the first retry). */
  attempt: number;
  /** The backend is on this machine (loopback, or the desktop binding says so). */
  local: boolean;
  /** It has been unreachable past the threshold. */
  down: boolean;
  /** The server asked for at least this long (a `retry:` field, a `shutdown`). */
  floorMs: number;
}

/**
 * The delay before the next connection attempt. A local backend: the first
 * retry at once, then every `intervalMs` (`slowIntervalMs` once it is
 * down); the server's own retry hints are meant for crowds of remote
 * clients and are not waited out on loopback. A remote one: full-jitter
 * exponential backoff, never shorter than the server's floor.
 */
export function retryDelay(
  s: RetryState,
  opts: { backoff: BackoffOptions; local: LocalRetryOptions },
  random: () => number,
): number {
  if (s.local) {
    if (s.down) return opts.local.slowIntervalMs;
    return s.attempt === 0 ? 0 : opts.local.intervalMs;
  }
  return Math.max(s.floorMs, backoffDelay(s.attempt, opts.backoff, random));
}

/** True for a host on this machine: localhost (and *.localhost), 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (/^::ffff:127\.\d+\.\d+\.\d+$/.test(h)) return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** True when `baseUrl` points at this machine. */
export function isLoopbackUrl(baseUrl: string): boolean {
  try {
    return isLoopbackHost(new URL(baseUrl).hostname);
  } catch {
    return false;
  }
}
