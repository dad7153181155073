import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { afterFailure, httpErrorFrom, joinUrl } from '../http';
import type { HelloData, ShutdownData } from '../protocol';
import {
  defaultBackoff,
  defaultDownAfterMs,
  defaultLocalRetry,
  isLoopbackUrl,
  retryDelay,
  type BackoffOptions,
  type LocalRetryOptions,
} from './backoff';
import { parseEventId } from './eventid';
import type { Credentials, Resolver, StreamEvent, StreamListener, StreamStatus } from './types';

/** The browser hooks the client listens to; injectable for tests. */
export interface StreamEnv {
  /** Receives `online` / `offline`. */
  window?: EventTarget | null;
  /** Receives `visibilitychange`; `visibilityState` is read. */
  document?: (EventTarget & { visibilityState?: string }) | null;
  /** `onLine` is a hint for the status text only, never a gate. */
  navigator?: { onLine?: boolean } | null;
}

export interface StreamClientOptions {
  resolve: Resolver;
  /**
   * Reloads the app's state over REST and returns the snapshot's
   * `X-Event-Head`. Called before the first connection when no cursor is
   * known, and after every `reset`.
   */
  resync?: (signal: AbortSignal) => Promise<string | null>;
  /** Resume point (`epoch:seq`) to start from, if the caller already has a snapshot. */
  lastEventId?: string | null;
  /** Stream path; default `/api/events`. */
  path?: string;
  /** Only this session's events (`?session=`). */
  session?: string;
  fetch?: typeof fetch;
  env?: StreamEnv;
  random?: () => number;
  /** Backoff for a remote server. */
  backoff?: Partial<BackoffOptions>;
  /** Constant-interval retries for a backend on this machine. */
  localRetry?: Partial<LocalRetryOptions>;
  /**
   * Treat the backend as local even before any credentials are known (the
   * desktop window, whose binding may fail while its backend is down).
   * Otherwise the credentials decide (`local`, or a loopback host).
   */
  local?: boolean;
  /** Unreachable this long, the status becomes `failed` (still retrying, slower). */
  downAfterMs?: number;
  /** A connection live this long resets the backoff. */
  stableMs?: number;
  /** Silence longer than factor × heartbeat_ms aborts the connection. */
  watchdogFactor?: number;
  /** Heartbeat assumed before the first `hello`. */
  defaultHeartbeatMs?: number;
  /** Wall-clock drift check period. */
  tickMs?: number;
  /** Drift beyond this (visible page) means the machine slept. */
  driftMs?: number;
  /** Drift threshold for a hidden page, whose timers browsers throttle to about a minute. */
  hiddenDriftMs?: number;
  /** Timeout of the liveness probe run on `online` / `visibilitychange`. */
  probeTimeoutMs?: number;
}

type Outcome =
  | { kind: 'retry'; reason: string; floorMs?: number; code?: string }
  | { kind: 'now'; reason: string }
  | { kind: 'fail'; code: string; reason: string };

/**
 * Thrown by a resolver when the backend it knows of is not running (the
 * desktop app's in-process server failed to restart): the client says so at
 * once instead of after the unreachable threshold, and keeps trying.
 */
export class BackendDownError extends Error {
  readonly code = 'backend_down';
  constructor(message: string) {
    super(message);
    this.name = 'BackendDownError';
  }
}

/** Thrown into a connection's AbortController when the watchdog fires. */
class StallError extends Error {
  constructor() {
    super('stream stalled');
    this.name = 'StallError';
  }
}

/** Rejects as soon as `signal` aborts, so a hung resolver or resync cannot outlive the watchdog. */
function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function defaultEnv(): StreamEnv {
  return {
    window: typeof window !== 'undefined' ? window : null,
    document: typeof document !== 'undefined' ? document : null,
    navigator: typeof navigator !== 'undefined' ? navigator : null,
  };
}

/**
 * One resilient SSE connection to `/api/events`, with an EventSource-like
 * surface. It resumes with Last-Event-ID, drops anything at or before the last
 * seq it delivered, reconnects with full-jitter backoff, aborts silent
 * connections, notices sleep by wall-clock drift, and tells the UI exactly
 * what it is doing through `status`.
 */
export class StreamClient {
  readonly #opts: Required<
    Pick<
      StreamClientOptions,
      | 'path'
      | 'stableMs'
      | 'watchdogFactor'
      | 'defaultHeartbeatMs'
      | 'tickMs'
      | 'driftMs'
      | 'hiddenDriftMs'
      | 'probeTimeoutMs'
      | 'downAfterMs'
    >
  > &
    StreamClientOptions;
  readonly #backoff: BackoffOptions;
  readonly #localRetry: LocalRetryOptions;
  readonly #env: StreamEnv;
  readonly #random: () => number;
  readonly #listeners = new Map<string, Set<StreamListener<any>>>();

  #status: StreamStatus = { state: 'connecting', attempt: 0 };
  #started = false;
  #closed = false;
  /** Bumped for every attempt and on close; async work of an older generation stops. */
  #gen = 0;
  #ctl: AbortController | null = null;
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  #attempt = 0;
  /** Immediate reconnects in a row (reset, 401, wake) without reaching live. */
  #nowStreak = 0;
  #cursor: string | null = null;
  #epoch: string | null = null;
  #lastSeq = -1;
  #heartbeatMs: number;
  #serverRetryMs: number | null = null;
  #needsResync: boolean;
  #freshCreds = false;
  #creds: Credentials | null = null;
  #connectionId: string | null = null;
  #lastByteAt = 0;
  #lastTick = 0;
  #probing = false;
  /** The backend is on this machine: constant short retries. */
  #local: boolean;
  /** When the backend stopped answering (ms); null while live. */
  #downSince: number | null = null;

  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #watchdogTimer: ReturnType<typeof setTimeout> | null = null;
  #stableTimer: ReturnType<typeof setTimeout> | null = null;
  #tickTimer: ReturnType<typeof setInterval> | null = null;
  #probeTimer: ReturnType<typeof setTimeout> | null = null;
  #probeCtl: AbortController | null = null;
  #downTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(opts: StreamClientOptions) {
    this.#opts = {
      path: '/api/events',
      stableMs: 10_000,
      watchdogFactor: 2.5,
      defaultHeartbeatMs: 15_000,
      tickMs: 1_000,
      driftMs: 4_000,
      hiddenDriftMs: 90_000,
      probeTimeoutMs: 4_000,
      downAfterMs: defaultDownAfterMs,
      ...opts,
    };
    this.#backoff = { ...defaultBackoff, ...opts.backoff };
    this.#localRetry = { ...defaultLocalRetry, ...opts.localRetry };
    this.#local = opts.local ?? false;
    this.#env = opts.env ?? defaultEnv();
    this.#random = opts.random ?? Math.random;
    this.#heartbeatMs = this.#opts.defaultHeartbeatMs;
    if (opts.lastEventId) this.#adoptCursor(opts.lastEventId);
    this.#needsResync = !opts.lastEventId && !!opts.resync;
  }

  /** The current status; `status` events announce every change. */
  get status(): StreamStatus {
    return this.#status;
  }

  /** Id of the last event delivered (`epoch:seq`), sent as Last-Event-ID on reconnect. */
  get lastEventId(): string | null {
    return this.#cursor;
  }

  /** Server-side id of the live connection (for pause/resume), null when not live. */
  get connectionId(): string | null {
    return this.#connectionId;
  }

  /** Heartbeat interval the server announced (or the default before any hello). */
  get heartbeatMs(): number {
    return this.#heartbeatMs;
  }

  /** Credentials of the latest attempt. */
  get credentials(): Credentials | null {
    return this.#creds;
  }

  addEventListener<T = unknown>(type: string, listener: StreamListener<T>): void {
    let set = this.#listeners.get(type);
    if (!set) this.#listeners.set(type, (set = new Set()));
    set.add(listener);
  }

  removeEventListener<T = unknown>(type: string, listener: StreamListener<T>): void {
    this.#listeners.get(type)?.delete(listener);
  }

  /** Connects and starts watching online/offline/visibility and the wall clock. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#env.window?.addEventListener('online', this.#onOnline);
    this.#env.window?.addEventListener('offline', this.#onOffline);
    this.#env.document?.addEventListener('visibilitychange', this.#onVisibility);
    this.#lastTick = Date.now();
    this.#tickTimer = setInterval(this.#onTick, this.#opts.tickMs);
    void this.#connect();
  }

  /** Drops the backoff and connects now; the UI's Reconnect button. */
  reconnect(): void {
    if (this.#closed) return;
    if (!this.#started) return this.start();
    this.#attempt = 0;
    this.#nowStreak = 0;
    this.#freshCreds = false;
    this.#setStatus({ state: 'connecting', attempt: 0 }); // the click shows at once
    void this.#connect();
  }

  /** Stops for good: aborts the connection, cancels the reader, clears every timer and listener. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#gen++;
    this.#teardown();
    this.#clearRetry();
    this.#clearProbe();
    this.#clearDown();
    if (this.#tickTimer !== null) clearInterval(this.#tickTimer);
    this.#tickTimer = null;
    this.#env.window?.removeEventListener('online', this.#onOnline);
    this.#env.window?.removeEventListener('offline', this.#onOffline);
    this.#env.document?.removeEventListener('visibilitychange', this.#onVisibility);
    this.#setStatus({ state: 'closed' });
  }

  // --- connection ---------------------------------------------------------

  async #connect(): Promise<void> {
    if (this.#closed) return;
    this.#clearRetry();
    this.#teardown();
    const gen = ++this.#gen;
    const ctl = new AbortController();
    this.#ctl = ctl;
    // While retrying, the status keeps saying so (and when the next try
    // is): a flip to `connecting` four times a second helps nobody.
    if (!this.#retrying()) this.#setStatus({ state: 'connecting', attempt: this.#attempt });
    this.#armWatchdog(ctl);
    let outcome: Outcome;
    try {
      outcome = await this.#run(gen, ctl);
    } catch (err) {
      outcome = this.#classify(err, ctl);
    }
    if (gen !== this.#gen) return; // superseded by a newer attempt or close()
    this.#teardown();
    this.#handleOutcome(outcome);
  }

  async #run(gen: number, ctl: AbortController): Promise<Outcome> {
    const signal = ctl.signal;
    if (this.#needsResync && this.#opts.resync) {
      const head = await abortable(this.#opts.resync(signal), signal);
      if (head) this.#adoptCursor(head);
      this.#needsResync = false;
    }
    const creds = await abortable(this.#opts.resolve({ fresh: this.#freshCreds }), signal);
    this.#creds = creds;
    this.#local = creds.local ?? (this.#opts.local || isLoopbackUrl(creds.baseUrl));
    const url = new URL(joinUrl(creds.baseUrl, this.#opts.path));
    if (this.#opts.session) url.searchParams.set('session', this.#opts.session);
    const headers: Record<string, string> = {
      Accept: 'text/event-stream',
      Authorization: `Bearer ${creds.token}`,
    };
    if (this.#cursor) headers['Last-Event-ID'] = this.#cursor;
    const fetchFn = this.#opts.fetch ?? globalThis.fetch.bind(globalThis);
    const res = await fetchFn(url.toString(), { headers, signal, cache: 'no-store' });
    if (gen !== this.#gen) return { kind: 'retry', reason: 'superseded' };
    if (!res.ok) {
      const err = await httpErrorFrom(res);
      return this.#failed(res.status, err.code, err.message);
    }
    this.#freshCreds = false;
    const type = res.headers.get('content-type') ?? '';
    if (!type.includes('text/event-stream') || !res.body) {
      await res.body?.cancel().catch(() => {});
      return { kind: 'fail', code: 'bad_response', reason: `expected an event stream, got ${type || 'no body'}` };
    }
    this.#kickWatchdog(ctl);
    const reader = res.body.getReader();
    this.#reader = reader;
    const decoder = new TextDecoder();
    let ended: Outcome | null = null;
    const parser = createParser({
      onEvent: (m) => {
        if (ended || gen !== this.#gen) return;
        ended = this.#onMessage(m, ctl);
      },
      onRetry: (ms) => {
        this.#serverRetryMs = ms;
      },
    });
    for (;;) {
      const { done, value } = await reader.read();
      if (gen !== this.#gen) return { kind: 'retry', reason: 'superseded' };
      if (done) break;
      this.#kickWatchdog(ctl);
      parser.feed(decoder.decode(value, { stream: true }));
      if (ended) return ended;
    }
    return { kind: 'retry', reason: 'stream ended', floorMs: this.#serverRetryMs ?? 0 };
  }

  /** Handles one parsed SSE message; returns an outcome when it ends the connection. */
  #onMessage(m: EventSourceMessage, ctl: AbortController): Outcome | null {
    const type = m.event || 'message';
    let data: unknown = null;
    if (m.data) {
      try {
        data = JSON.parse(m.data);
      } catch {
        data = m.data; // not JSON: hand the raw text over rather than drop it
      }
    }
    switch (type) {
      case 'heartbeat':
        this.#emit({ type, id: null, data });
        return null;
      case 'hello': {
        const hello = data as HelloData;
        if (hello?.heartbeat_ms > 0) this.#heartbeatMs = hello.heartbeat_ms;
        this.#connectionId = hello?.connection_id ?? null;
        if (!this.#cursor) {
          // First connection without a snapshot: start from what the server calls our cursor.
          if (m.id) this.#adoptCursor(m.id);
          else if (hello?.head) this.#adoptCursor(hello.head);
        }
        this.#nowStreak = 0;
        this.#kickWatchdog(ctl); // re-arm with the announced heartbeat
        this.#armStable();
        this.#backUp();
        this.#setStatus({ state: 'live', connectionId: this.#connectionId ?? '' });
        this.#emit({ type, id: m.id ?? null, data });
        return null;
      }
      case 'reset':
        this.#needsResync = true;
        this.#emit({ type, id: m.id ?? null, data });
        return { kind: 'now', reason: 'reset' };
      case 'shutdown': {
        const sd = data as ShutdownData;
        this.#emit({ type, id: m.id ?? null, data });
        return { kind: 'retry', reason: 'server shutting down', floorMs: sd?.retry_ms > 0 ? sd.retry_ms : 0 };
      }
    }
    const id = parseEventId(m.id);
    if (id) {
      if (id.epoch === this.#epoch && id.seq <= this.#lastSeq) return null; // seen already
      this.#cursor = m.id!;
      this.#epoch = id.epoch;
      this.#lastSeq = id.seq;
    }
    this.#emit({ type, id: m.id ?? null, data });
    return null;
  }

  #classify(err: unknown, ctl: AbortController): Outcome {
    if (ctl.signal.aborted && ctl.signal.reason instanceof StallError) {
      return { kind: 'retry', reason: 'no data from the server (stalled)' };
    }
    // HttpError from a resync, or a resolver's error that carries a status (no token → 401).
    if (err instanceof BackendDownError) {
      this.#local = true;
      return { kind: 'retry', reason: err.message, code: err.code };
    }
    const status = (err as { status?: unknown } | null)?.status;
    if (typeof status === 'number' && err instanceof Error) {
      return this.#failed(status, String((err as { code?: unknown }).code ?? `http_${status}`), err.message);
    }
    const reason = err instanceof Error ? err.message : String(err);
    return { kind: 'retry', reason: reason || 'network error' };
  }

  /** An HTTP failure (of the stream request, a resync or the resolver), judged by the shared rules. */
  #failed(status: number, code: string, reason: string): Outcome {
    switch (afterFailure(status, this.#freshCreds)) {
      case 'refresh':
        this.#freshCreds = true;
        return { kind: 'now', reason: 'unauthorized' };
      case 'fail':
        return { kind: 'fail', code: status === 401 ? 'unauthorized' : code, reason };
      case 'retry':
        return { kind: 'retry', reason };
    }
  }

  #handleOutcome(o: Outcome): void {
    if (this.#closed) return;
    switch (o.kind) {
      case 'fail':
        this.#setStatus({ state: 'failed', code: o.code, reason: o.reason });
        return;
      case 'now':
        // A reset or a 401 answered with fresh credentials reconnects at once,
        // but never loops hot: a third in a row goes through the backoff.
        if (++this.#nowStreak <= 2) {
          this.#setStatus({ state: 'connecting', attempt: this.#attempt });
          this.#retryTimer = setTimeout(() => void this.#connect(), 0);
          return;
        }
        this.#scheduleRetry(o.reason, 0);
        return;
      case 'retry':
        this.#scheduleRetry(o.reason, o.floorMs ?? 0, o.code);
    }
  }

  #scheduleRetry(reason: string, floorMs: number, code?: string): void {
    const now = Date.now();
    if (this.#downSince === null) {
      this.#downSince = now;
      this.#armDown();
    }
    const since = this.#downSince;
    const down = code !== undefined || now - since >= this.#opts.downAfterMs;
    const delayMs = retryDelay(
      { attempt: this.#attempt, local: this.#local, down, floorMs },
      { backoff: this.#backoff, local: this.#localRetry },
      this.#random,
    );
    this.#attempt++;
    const retry = { attempt: this.#attempt, delayMs, retryAt: now + delayMs, reason, since };
    if (down) {
      this.#setStatus({ state: 'failed', code: code ?? 'unreachable', ...retry });
    } else {
      const offline = this.#env.navigator?.onLine === false;
      this.#setStatus({ state: offline ? 'offline' : 'reconnecting', ...retry });
    }
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      void this.#connect();
    }, delayMs);
  }

  /** Waiting for the next attempt (or making it) after losing the backend. */
  #retrying(): boolean {
    const s = this.#status;
    return s.state === 'reconnecting' || s.state === 'offline' || (s.state === 'failed' && s.retryAt !== undefined);
  }

  /** The stream is live again: the outage is over. */
  #backUp(): void {
    this.#downSince = null;
    this.#clearDown();
    // Nothing to spread on loopback: the next outage starts from the first step.
    if (this.#local) this.#attempt = 0;
  }

  /** Says `failed` when the threshold passes in the middle of a long (remote) backoff. */
  #armDown(): void {
    this.#clearDown();
    this.#downTimer = setTimeout(() => {
      this.#downTimer = null;
      const s = this.#status;
      if (s.state === 'reconnecting' || s.state === 'offline') {
        this.#setStatus({ ...s, state: 'failed', code: 'unreachable' });
      }
    }, this.#opts.downAfterMs);
  }

  #clearDown(): void {
    if (this.#downTimer !== null) clearTimeout(this.#downTimer);
    this.#downTimer = null;
  }

  /** Aborts the current connection (if any) without touching the status. */
  #teardown(): void {
    this.#clearWatchdog();
    this.#clearStable();
    this.#connectionId = null;
    const reader = this.#reader;
    this.#reader = null;
    reader?.cancel().catch(() => {});
    const ctl = this.#ctl;
    this.#ctl = null;
    ctl?.abort(new DOMException('connection closed by client', 'AbortError'));
  }

  #adoptCursor(id: string): void {
    const parsed = parseEventId(id);
    if (!parsed) return;
    this.#cursor = id;
    this.#epoch = parsed.epoch;
    this.#lastSeq = parsed.seq;
  }

  // --- timers -------------------------------------------------------------

  #armWatchdog(ctl: AbortController): void {
    this.#clearWatchdog();
    const ms = this.#heartbeatMs * this.#opts.watchdogFactor;
    this.#watchdogTimer = setTimeout(() => {
      this.#watchdogTimer = null;
      ctl.abort(new StallError());
    }, ms);
  }

  /** Any byte proves the socket alive: push the watchdog out again. */
  #kickWatchdog(ctl: AbortController): void {
    this.#lastByteAt = Date.now();
    this.#armWatchdog(ctl);
  }

  #clearWatchdog(): void {
    if (this.#watchdogTimer !== null) clearTimeout(this.#watchdogTimer);
    this.#watchdogTimer = null;
  }

  #armStable(): void {
    this.#clearStable();
    this.#stableTimer = setTimeout(() => {
      this.#stableTimer = null;
      this.#attempt = 0;
    }, this.#opts.stableMs);
  }

  #clearStable(): void {
    if (this.#stableTimer !== null) clearTimeout(this.#stableTimer);
    this.#stableTimer = null;
  }

  #clearRetry(): void {
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  #clearProbe(): void {
    if (this.#probeTimer !== null) clearTimeout(this.#probeTimer);
    this.#probeTimer = null;
    this.#probeCtl?.abort();
    this.#probeCtl = null;
    this.#probing = false;
  }

  // --- triggers -----------------------------------------------------------

  readonly #onTick = (): void => {
    const now = Date.now();
    const drift = now - this.#lastTick - this.#opts.tickMs;
    this.#lastTick = now;
    const hidden = this.#env.document?.visibilityState === 'hidden';
    const limit = hidden ? this.#opts.hiddenDriftMs : this.#opts.driftMs;
    if (drift > limit) this.#onWake(drift);
  };

  /** The wall clock jumped: the machine slept, and the socket is probably half-open. */
  #onWake(driftMs: number): void {
    this.#emit({ type: 'wake', id: null, data: { driftMs } }, false);
    if (this.#closed || this.#fatal()) return;
    void this.#connect();
  }

  readonly #onOnline = (): void => this.#check('online');
  readonly #onOffline = (): void => this.#check('offline');
  readonly #onVisibility = (): void => {
    if (this.#env.document?.visibilityState !== 'hidden') this.#check('visible');
  };

  /** An immediate check after a network or visibility change. */
  #check(reason: 'online' | 'offline' | 'visible'): void {
    if (this.#closed) return;
    const s = this.#status;
    if (this.#fatal() || s.state === 'connecting') return;
    if (this.#retrying()) {
      if (reason === 'offline') {
        if (s.state === 'reconnecting') this.#setStatus({ ...s, state: 'offline' });
        return;
      }
      void this.#connect();
      return;
    }
    if (s.state === 'live') {
      // Silence longer than a heartbeat already proves the socket dead.
      if (Date.now() - this.#lastByteAt > this.#heartbeatMs + 1_000) {
        void this.#connect();
        return;
      }
      this.#probe();
    }
  }

  /** Asks /api/health over a fresh request; a failure means this network path is gone. */
  #probe(): void {
    if (this.#probing || !this.#creds) return;
    this.#probing = true;
    const gen = this.#gen;
    const ctl = new AbortController();
    this.#probeCtl = ctl;
    this.#probeTimer = setTimeout(() => ctl.abort(new StallError()), this.#opts.probeTimeoutMs);
    const fetchFn = this.#opts.fetch ?? globalThis.fetch.bind(globalThis);
    const creds = this.#creds;
    fetchFn(joinUrl(creds.baseUrl, '/api/health'), {
      headers: { Authorization: `Bearer ${creds.token}` },
      signal: ctl.signal,
      cache: 'no-store',
    })
      .then(
        (res) => {
          void res.body?.cancel().catch(() => {});
          return res.status < 500;
        },
        () => false,
      )
      .then((ok) => {
        if (this.#probeCtl !== ctl) return;
        this.#clearProbe();
        if (!ok && gen === this.#gen && !this.#closed && this.#status.state === 'live') void this.#connect();
      });
  }

  /** Failed for a reason retrying cannot fix: only Reconnect tries again. */
  #fatal(): boolean {
    return this.#status.state === 'failed' && this.#status.retryAt === undefined;
  }

  // --- events -------------------------------------------------------------

  #setStatus(s: StreamStatus): void {
    this.#status = s;
    this.#emit({ type: 'status', id: null, data: s }, false);
  }

  /** Calls the listeners of `ev.type`, and those of `*` for server events. */
  #emit(ev: StreamEvent, fromServer = true): void {
    for (const key of fromServer ? [ev.type, '*'] : [ev.type]) {
      const set = this.#listeners.get(key);
      if (!set) continue;
      for (const fn of [...set]) {
        try {
          fn(ev);
        } catch (err) {
          // One broken listener must not take the stream down.
          console.error(`holdfast stream: ${ev.type} listener failed`, err);
        }
      }
    }
  }
}
