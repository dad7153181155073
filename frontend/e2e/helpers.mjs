// Shared pieces of the end-to-end suite: a real `holdfast serve` on a free
// loopback port with its own temporary data folder, Debian chromium driven by
// playwright-core, a REST client, and a TCP proxy that can freeze.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const binary = process.env.HOLDFAST_BIN ?? path.join(repoRoot, 'bin', 'holdfast');
export const resultsDir = path.join(repoRoot, 'frontend', 'test-results');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const cleanups = new Set();
const liveProcesses = new Set();
/** Runs every registered cleanup (servers, proxies, temp folders), newest first. */
export async function cleanupAll() {
  for (const fn of [...cleanups].reverse()) {
    cleanups.delete(fn);
    await fn();
  }
}
// Never leave a server behind, even when a test throws before its own cleanup.
process.on('exit', () => {
  for (const s of liveProcesses) s.kill('SIGKILL');
});

export function tempHome(name = 'holdfast-e2e-') {
  const dir = mkdtempSync(path.join(tmpdir(), name));
  cleanups.add(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A loopback port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor(fn, { timeoutMs = 10_000, intervalMs = 50, what = 'condition' } = {}) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      last = await fn();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

/**
 * Starts `holdfast serve`. Options: home (data folder; default a fresh temp
 * folder), port (default any free one), token, tps (demo tokens/s),
 * heartbeat (e.g. '1s'), readyPollMs (how often to ask /api/health while
 * it starts; `readyAt` is when it first answered, to time a reconnect).
 */
export async function startServer(opts = {}) {
  const home = opts.home ?? tempHome();
  const port = opts.port ?? (await freePort());
  const token = opts.token ?? `e2e-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    HOLDFAST_HOME: home,
    HOLDFAST_TOKEN: token,
    HOLDFAST_HEARTBEAT: opts.heartbeat ?? '15s',
    HOLDFAST_DEMO_TPS: String(opts.tps ?? 200),
  };
  const proc = spawn(binary, ['serve', '--addr', `127.0.0.1:${port}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  liveProcesses.add(proc);
  let output = '';
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  exited.then(() => liveProcesses.delete(proc));
  const base = `http://127.0.0.1:${port}`;
  let readyAt = 0;
  try {
    await waitFor(
      async () => {
        if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`server exited: ${output}`);
        const res = await fetch(`${base}/api/health`, { headers: { Authorization: `Bearer ${token}` } });
        if (res.ok) readyAt = Date.now();
        return res.ok;
      },
      { timeoutMs: 15_000, intervalMs: opts.readyPollMs ?? 50, what: `holdfast serve on ${base}` },
    );
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`${err.message}\n--- server output ---\n${output}`);
  }
  const server = {
    home,
    port,
    token,
    base,
    url: `${base}/#token=${token}`,
    /** When /api/health first answered (ms since the epoch). */
    readyAt,
    proc,
    get output() {
      return output;
    },
    api: new RestClient(base, token),
    /** SIGKILL: no shutdown event, no flush; the next start must recover from disk. */
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGKILL');
      await exited;
    },
    /** SIGTERM and wait for a clean exit. */
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
    /** Starts the same data folder, port and token again. */
    restart(extra = {}) {
      return startServer({ ...opts, home, port, token, ...extra });
    },
  };
  cleanups.add(() => server.stop());
  return server;
}

/** The REST API, spoken from the test (no browser involved). */
export class RestClient {
  constructor(base, token) {
    this.base = base;
    this.token = token;
  }

  async request(method, p, body) {
    const res = await fetch(this.base + p, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  /** Every chat (all pages), or those matching `q`; `archived` lists the archived ones. */
  async sessions(q, { archived = false } = {}) {
    const all = [];
    let cursor = '';
    for (;;) {
      const qs = new URLSearchParams({ limit: '500' });
      if (q) qs.set('q', q);
      if (archived) qs.set('archived', '1');
      if (cursor) qs.set('cursor', cursor);
      const r = await this.request('GET', `/api/sessions?${qs}`);
      all.push(...r.sessions);
      if (!r.next_cursor) return all;
      cursor = r.next_cursor;
    }
  }
  patchSession(id, body) {
    return this.request('PATCH', `/api/sessions/${id}`, body);
  }
  search(q, limit = 30) {
    return this.request('GET', `/api/search?q=${encodeURIComponent(q)}&limit=${limit}`);
  }
  switchTo(sessionId, messageId) {
    return this.request('POST', `/api/sessions/${sessionId}/switch`, { message_id: messageId });
  }
  regenerate(messageId) {
    return this.request('POST', `/api/messages/${messageId}/regenerate`, {});
  }
  edit(messageId, content, clientId = `e2e-${Math.random().toString(36).slice(2)}`) {
    return this.request('POST', `/api/messages/${messageId}/edit`, { content, client_id: clientId });
  }
  createSession(body = {}) {
    return this.request('POST', '/api/sessions', body);
  }
  async messages(sessionId) {
    const all = [];
    let before = '';
    for (;;) {
      const r = await this.request('GET', `/api/sessions/${sessionId}/messages?limit=500${before ? `&before=${before}` : ''}`);
      all.unshift(...r.messages);
      if (!r.has_more || r.messages.length === 0) return all;
      before = r.messages[0].id;
    }
  }
  send(sessionId, content, clientId = `e2e-${Math.random().toString(36).slice(2)}`) {
    return this.request('POST', `/api/sessions/${sessionId}/messages`, { content, client_id: clientId });
  }
  message(sessionId, id) {
    return this.messages(sessionId).then((ms) => ms.find((m) => m.id === id) ?? null);
  }
  /** Waits until no message of the session is streaming; returns the messages. */
  async settled(sessionId, timeoutMs = 30_000) {
    return waitFor(
      async () => {
        const ms = await this.messages(sessionId);
        return ms.length > 0 && ms.every((m) => m.status !== 'streaming') ? ms : null;
      },
      { timeoutMs, intervalMs: 100, what: `session ${sessionId} to finish streaming` },
    );
  }
}

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser() {
  const browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
  cleanups.add(() => browser.close().catch(() => {}));
  return browser;
}

/**
 * Opens the app the way a user does (the printed URL with #token=) and
 * waits until the stream is live. Collects page errors and dialogs so tests
 * can assert none happened.
 */
export async function openApp(browser, url, { locale = 'en-US', colorScheme = 'light', viewport = { width: 1280, height: 800 }, beforeGoto, contextOptions = {} } = {}) {
  const context = await browser.newContext({ locale, colorScheme, viewport, ...contextOptions });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.type()} ${d.message()}`);
    void d.dismiss();
  });
  if (beforeGoto) await beforeGoto(page, context);
  await page.goto(url);
  await waitForStatus(page, 'live');
  return { context, page, problems };
}

export async function waitForStatus(page, state, timeout = 15_000) {
  await page.waitForSelector(`[data-testid=status][data-state=${state}]`, { timeout });
}

/** Types into the composer and presses Enter. */
export async function sendFromUI(page, text) {
  await page.fill('[data-testid=composer]', text);
  await page.press('[data-testid=composer]', 'Enter');
}

/**
 * Sends from the composer and waits until the new answer (not an earlier
 * one) shows more than `minChars` characters; returns its message id.
 */
export async function sendAndWaitForText(page, text, minChars = 100) {
  const answers = '[data-testid=message][data-role=assistant]';
  const before = await page.locator(answers).count();
  await sendFromUI(page, text);
  return waitFor(
    () =>
      page.evaluate(
        ([sel, n, min]) => {
          const all = document.querySelectorAll(sel);
          if (all.length <= n) return null;
          const last = all[all.length - 1];
          const t = last.querySelector('[data-testid=message-text]')?.innerText ?? '';
          return t.length > min ? last.getAttribute('data-id') : null;
        },
        [answers, before, minChars],
      ),
    { timeoutMs: 30_000, what: `the new answer to show ${minChars} characters` },
  );
}

/** The visible text of the n-th (default last) assistant answer. */
export function answerText(page, nth = -1) {
  return page.evaluate((n) => {
    const all = document.querySelectorAll('[data-testid=message][data-role=assistant] [data-testid=message-text]');
    const el = all[n < 0 ? all.length + n : n];
    return el ? el.innerText : null;
  }, nth);
}

export async function waitForAnswerStatus(page, status, timeout = 30_000) {
  await page.waitForFunction(
    (s) => {
      const all = document.querySelectorAll('[data-testid=message][data-role=assistant]');
      return all.length > 0 && all[all.length - 1].getAttribute('data-status') === s;
    },
    status,
    { timeout },
  );
}

export function ensureResultsDir(sub = '') {
  const dir = path.join(resultsDir, sub);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * A TCP proxy between the browser and the server. `freeze()` keeps every
 * socket open but stops moving bytes, like a half-open connection after a
 * laptop sleeps or switches networks; `thaw()` delivers what was held and
 * carries on.
 */
export class FreezableProxy {
  constructor(targetPort) {
    this.targetPort = targetPort;
    this.frozen = false;
    this.pairs = new Set();
    this.server = net.createServer((client) => this.#accept(client));
  }

  async listen() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = this.server.address().port;
    cleanups.add(() => this.close());
    return this.port;
  }

  get connections() {
    return this.pairs.size;
  }

  #accept(client) {
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    const pair = { client, upstream, held: [], ends: [] };
    this.pairs.add(pair);
    const forward = (from, to) => {
      from.on('data', (chunk) => {
        if (this.frozen) pair.held.push(() => to.write(chunk));
        else to.write(chunk);
      });
      from.on('end', () => {
        if (this.frozen) pair.ends.push(() => to.end());
        else to.end();
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', () => !this.frozen && drop());
    upstream.on('close', () => !this.frozen && drop());
  }

  freeze() {
    this.frozen = true;
  }

  thaw() {
    this.frozen = false;
    for (const pair of this.pairs) {
      for (const fn of pair.held.splice(0)) fn();
      for (const fn of pair.ends.splice(0)) fn();
      if (pair.client.destroyed || pair.upstream.destroyed) {
        pair.client.destroy();
        pair.upstream.destroy();
        this.pairs.delete(pair);
      }
    }
  }

  close() {
    for (const p of this.pairs) {
      p.client.destroy();
      p.upstream.destroy();
    }
    this.pairs.clear();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Starts recording every status change of the page's stream client in window.__statuses. */
export async function recordStatuses(page) {
  await page.evaluate(() => {
    const w = window;
    w.__statuses = [];
    w.holdfast.client.addEventListener('status', (e) => w.__statuses.push({ at: Date.now(), ...e.data }));
  });
}

export function statuses(page) {
  return page.evaluate(() => window.__statuses);
}

/**
 * Records, every animation frame, the visible length of the last answer in
 * window.__grow ({at: ms since the epoch, id: its message id, len}), one
 * entry per change: when new words reached the screen.
 */
export async function recordAnswerGrowth(page) {
  await page.evaluate(() => {
    const w = window;
    w.__grow = [];
    let last = '';
    const tick = () => {
      const all = document.querySelectorAll('[data-testid=message][data-role=assistant]');
      const msg = all[all.length - 1];
      const el = msg?.querySelector('[data-testid=message-text]');
      const id = msg?.getAttribute('data-id') ?? '';
      const len = el ? el.innerText.length : 0;
      if (`${id}:${len}` !== last) {
        w.__grow.push({ at: Date.now(), id, len });
        last = `${id}:${len}`;
      }
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

/** The id of the last answer on screen. */
export function lastAnswerId(page) {
  return page.evaluate(() => {
    const all = document.querySelectorAll('[data-testid=message][data-role=assistant]');
    return all[all.length - 1]?.getAttribute('data-id') ?? null;
  });
}

/** The first time (ms since the epoch) answer `id` was seen longer than `len`, or null. */
export async function grewPast(page, id, len) {
  return page.evaluate(([i, n]) => window.__grow.find((g) => g.id === i && g.len > n)?.at ?? null, [id, len]);
}

/** Median and maximum of a list of numbers. */
export function medianMax(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return { median: s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2, max: s.at(-1) };
}

/** Opens a session from the sidebar by its title (first match). */
export async function openSession(page, title) {
  await page.click(`[data-testid=session] .session-open:has-text(${JSON.stringify(title)})`);
}

/** Checks no paragraph-sized fragment of `text` appears twice (what a replayed delta would cause). */
export function repeatedFragments(text, size = 40) {
  const seen = new Map();
  const dupes = [];
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l.length >= size);
  for (const l of lines) {
    seen.set(l, (seen.get(l) ?? 0) + 1);
    if (seen.get(l) === 2) dupes.push(l);
  }
  return dupes;
}
