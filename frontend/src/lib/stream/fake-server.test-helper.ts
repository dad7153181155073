// A scripted stand-in for the Holdfast server, used by the stream client's
// unit tests: every fetch becomes a `FakeRequest` the test answers by hand.

const enc = new TextEncoder();

export interface FakeRequest {
  url: string;
  headers: Record<string, string>;
  signal: AbortSignal;
  /** True once the client aborted the request or cancelled its body. */
  readonly closed: boolean;
  /** Answers with an SSE stream; returns the handle to push bytes into it. */
  openStream(): SseHandle;
  /** Answers with a JSON error. */
  fail(status: number, code?: string, message?: string): void;
  /** Answers with any response. */
  respond(res: Response): void;
  /** Fails at the network level (like a refused connection). */
  networkError(message?: string): void;
}

export interface SseHandle {
  send(raw: string): void;
  event(type: string, data: unknown, id?: string): void;
  hello(opts: { epoch?: string; seq?: number; heartbeatMs?: number; connectionId?: string }): void;
  /** Clean end of the stream (server closed it). */
  end(): void;
  /** The connection breaks mid-stream (reset by peer). */
  drop(): void;
  readonly cancelled: boolean;
}

export class FakeServer {
  readonly requests: FakeRequest[] = [];
  #waiters: ((r: FakeRequest) => void)[] = [];

  /** Drop-in for `fetch`. */
  readonly fetch = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>));
    const signal = init?.signal ?? new AbortController().signal;
    return new Promise<Response>((resolve, reject) => {
      let closed = false;
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fn();
      };
      const onAbort = () => {
        closed = true;
        settle(() => reject(signal.reason ?? new DOMException('aborted', 'AbortError')));
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      const req: FakeRequest = {
        url,
        headers,
        signal,
        get closed() {
          return closed;
        },
        openStream() {
          let ctrl!: ReadableStreamDefaultController<Uint8Array>;
          let cancelled = false;
          const body = new ReadableStream<Uint8Array>({
            start(c) {
              ctrl = c;
            },
            cancel() {
              cancelled = true;
              closed = true;
            },
          });
          signal.addEventListener(
            'abort',
            () => {
              closed = true;
              try {
                ctrl.error(signal.reason);
              } catch {
                // already closed
              }
            },
            { once: true },
          );
          const handle: SseHandle = {
            send(raw) {
              if (!closed) ctrl.enqueue(enc.encode(raw));
            },
            event(type, data, id) {
              handle.send(`${id ? `id: ${id}\n` : ''}event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
            },
            hello({ epoch = 'E1', seq = 0, heartbeatMs = 1000, connectionId = `c${Math.random()}` }) {
              handle.send('retry: 1000\n\n');
              handle.event(
                'hello',
                { epoch, head: `${epoch}:${seq}`, connection_id: connectionId, heartbeat_ms: heartbeatMs, version: 't' },
                `${epoch}:${seq}`,
              );
            },
            end() {
              closed = true;
              ctrl.close();
            },
            drop() {
              closed = true;
              ctrl.error(new TypeError('network error'));
            },
            get cancelled() {
              return cancelled;
            },
          };
          settle(() => resolve(new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } })));
          return handle;
        },
        fail(status, code = 'err', message = `failed with ${status}`) {
          settle(() =>
            resolve(
              new Response(JSON.stringify({ error: { code, message } }), {
                status,
                headers: { 'content-type': 'application/json' },
              }),
            ),
          );
        },
        respond(res) {
          settle(() => resolve(res));
        },
        networkError(message = 'Failed to fetch') {
          closed = true;
          settle(() => reject(new TypeError(message)));
        },
      };
      this.requests.push(req);
      const w = this.#waiters.shift();
      w?.(req);
    });
  };

  /** Requests to the event stream only. */
  get streams(): FakeRequest[] {
    return this.requests.filter((r) => r.url.includes('/api/events'));
  }

  get last(): FakeRequest {
    const r = this.requests.at(-1);
    if (!r) throw new Error('no request yet');
    return r;
  }
}
