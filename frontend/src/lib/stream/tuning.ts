import type { StreamClientOptions } from './client';
import { findWailsApp } from './resolver';

/** The parts of `window` the tuning reads. */
export interface TuningSource {
  location: { search: string };
  localStorage?: { getItem(k: string): string | null };
}

/**
 * Stream options that depend on where the page runs: inside the desktop
 * window the backend is local even while its binding reports it down; and
 * the unreachable threshold can be shortened for tests and troubleshooting
 * with `?downAfterMs=N` in the page address or localStorage
 * `holdfast.downAfterMs` (default 30 s, docs/protocol.md).
 */
export function streamTuning(w: TuningSource): Partial<StreamClientOptions> {
  const out: Partial<StreamClientOptions> = {};
  if (findWailsApp(w)) out.local = true;
  let raw = new URLSearchParams(w.location.search).get('downAfterMs');
  if (raw === null) {
    try {
      raw = w.localStorage?.getItem('holdfast.downAfterMs') ?? null;
    } catch {
      raw = null; // storage can be unavailable; the default is fine
    }
  }
  const n = raw === null || raw.trim() === '' ? NaN : Number(raw);
  if (Number.isFinite(n) && n >= 0) out.downAfterMs = n;
  return out;
}
