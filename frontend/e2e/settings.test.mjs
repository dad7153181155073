// Settings and config.toml, end to end: a hand-edited config.toml with a
// mistake shows its line and column and clears when fixed; a provider added
// in the Settings screen (an OpenAI-compatible fake upstream on loopback,
// speaking the real SSE chunk format) is chatted with, its key reaches the
// upstream and never the page.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  answerText,
  cleanupAll,
  ensureResultsDir,
  launchBrowser,
  openApp,
  sendFromUI,
  sleep,
  startServer,
  waitFor,
  waitForAnswerStatus,
} from './helpers.mjs';

let server;
let browser;
let upstream;

before(async () => {
  [server, browser, upstream] = await Promise.all([startServer(), launchBrowser(), startFakeOpenAI()]);
});
after(async () => {
  await cleanupAll();
  await upstream?.close();
});

/** The usage the fake reports for every answer. */
const usage = { prompt_tokens: 12, completion_tokens: 5 };
const fastAnswer = ['Hello', ' from', ' the', ' fake', ' upstream.'];

/**
 * An OpenAI-compatible server on 127.0.0.1: `GET /v1/models` and streaming
 * `POST /v1/chat/completions` in the exact wire format (a role chunk,
 * content chunks, a chunk with finish_reason, the usage chunk, `[DONE]`).
 * A prompt containing "slow" streams slowly the first time, so it can be
 * stopped. Every request is recorded with its Authorization header.
 */
async function startFakeOpenAI() {
  const requests = [];
  const slowSeen = new Set();
  const srv = http.createServer(async (req, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    const body = raw ? JSON.parse(raw) : null;
    requests.push({ method: req.method, url: req.url, auth: req.headers.authorization ?? '', body });
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [{ id: 'fake-1', object: 'model', created: 1700000000, owned_by: 'e2e' }] }));
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' } }));
      return;
    }
    const prompt = body.messages.findLast((m) => m.role === 'user')?.content ?? '';
    const slow = prompt.includes('slow') && !slowSeen.has(prompt);
    if (slow) slowSeen.add(prompt);
    const words = slow ? Array.from({ length: 200 }, (_, i) => `word${i} `) : fastAnswer;
    let closed = false;
    res.on('close', () => (closed = true));
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    const chunk = (choices, extra = {}) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-e2e', object: 'chat.completion.chunk', created: 1700000000, model: body.model, choices, ...extra })}\n\n`;
    res.write(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]));
    for (const w of words) {
      if (closed) return;
      res.write(chunk([{ index: 0, delta: { content: w }, finish_reason: null }]));
      await sleep(slow ? 50 : 10);
    }
    res.write(chunk([{ index: 0, delta: {}, finish_reason: 'stop' }]));
    res.write(chunk([], { usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } }));
    res.end('data: [DONE]\n\n');
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${srv.address().port}/v1`,
    requests,
    close: () => new Promise((resolve) => srv.close(() => resolve())),
  };
}

const banner = '[data-testid=config-banner]';

test('a broken config.toml shows its line and column until fixed; hand edits apply, also in an open Settings screen', async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  const file = path.join(server.home, 'config.toml');
  assert.match(readFileSync(file, 'utf8'), /\[ui\]/, 'the first run wrote the default file');

  // Line 4 has an unterminated string.
  writeFileSync(file, 'default_model = "demo/demo"\n\n[ui]\ntheme = "dark\n');
  await page.waitForSelector(banner, { timeout: 5000 });
  const { error } = await server.api.request('GET', '/api/config');
  const [p] = error.problems;
  assert.equal(p.line, 4);
  assert.ok(p.column > 0);
  const text = await page.locator(banner).innerText();
  assert.ok(text.includes(`config.toml has an error at line 4, column ${p.column}:`), text);
  assert.ok(text.includes('the last good configuration is in use'), text);
  assert.equal(await page.getAttribute('html', 'data-theme'), 'light', 'the last good configuration stays in force');

  // Dismissed, it stays away; a new mistake brings it back with every problem.
  await page.click('[data-testid=config-banner-dismiss]');
  await page.waitForSelector(banner, { state: 'detached' });
  writeFileSync(file, 'default_model = "nonsense"\n\n[ui]\ntheme = "neon"\n');
  await page.waitForSelector(banner, { timeout: 5000 });
  assert.match(await page.locator('[data-testid=config-banner-summary]').innerText(), /config\.toml has 2 errors/);
  const listed = await page.locator('[data-testid=config-problem]').allInnerTexts();
  assert.equal(listed.length, 2);
  assert.ok(listed.some((l) => /^line 1, column \d+: default_model: /.test(l)), listed.join('\n'));
  assert.ok(listed.some((l) => /^line 4, column \d+: ui\.theme: /.test(l)), listed.join('\n'));

  // Fixed by hand: the banner goes and the file's theme takes effect.
  writeFileSync(file, 'default_model = "demo/demo"\n\n[ui]\ntheme = "dark"\n');
  await page.waitForSelector(banner, { state: 'detached', timeout: 5000 });
  await page.waitForSelector('html[data-theme=dark]', { timeout: 5000 });
  writeFileSync(file, 'default_model = "demo/demo"\n\n[ui]\ntheme = "light"\n');
  await page.waitForSelector('html[data-theme=light]', { timeout: 5000 });

  // The Settings screen follows hand edits while untouched, and warns rather than lose them once edited.
  await page.click('[data-testid=settings]');
  const prompt = page.locator('[data-testid=default-system-prompt]');
  await prompt.waitFor();
  writeFileSync(file, 'default_model = "demo/demo"\nsystem_prompt = "from the file"\n\n[ui]\ntheme = "light"\n');
  await waitFor(async () => (await prompt.inputValue()) === 'from the file', { timeoutMs: 5000, what: 'the form to show the hand edit' });
  await prompt.fill('typed in Settings');
  writeFileSync(file, 'default_model = "demo/demo"\nsystem_prompt = "edited again"\n\n[ui]\ntheme = "light"\n');
  await page.waitForSelector('[data-testid=settings-stale]', { timeout: 5000 });
  assert.equal(await prompt.inputValue(), 'typed in Settings');
  await page.click('[data-testid=settings-reload]');
  await waitFor(async () => (await prompt.inputValue()) === 'edited again', { timeoutMs: 5000, what: 'the file’s settings' });
  await page.click('[data-testid=settings-close]');
  assert.deepEqual(problems, []);
  await context.close();
});

test('a provider added in Settings with a key: its model chats, usage shows, the key never reaches the page', async () => {
  // Tall enough for the whole Settings screen in its screenshot.
  const { page, context, problems } = await openApp(browser, server.url, { viewport: { width: 1280, height: 1500 } });
  const key = `sk-e2e-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}XyZ9`;

  await page.click('[data-testid=settings]');
  await page.click('[data-testid=add-provider]');
  const card = page.locator('[data-testid=provider]').last();
  await card.locator('[data-testid=provider-name]').fill('fake');
  assert.equal(await card.locator('[data-testid=provider-kind]').inputValue(), 'openai');
  // A wrong value comes back from the server as a problem next to its field.
  await card.locator('[data-testid=provider-base-url]').fill(upstream.base.replace('http:', 'ftp:'));
  await card.locator('[data-testid=provider-key]').fill(key);
  await page.click('[data-testid=settings-save]');
  const problem = card.locator('[data-testid=field-problem][data-field="providers[0].base_url"]');
  await problem.waitFor();
  assert.match(await problem.innerText(), /http:\/\/ or https:\/\//);
  assert.equal((await server.api.request('GET', '/api/config')).config.providers, null, 'config.toml untouched');

  await card.locator('[data-testid=provider-base-url]').fill(upstream.base);
  await page.click('[data-testid=settings-save]');
  await page.waitForSelector('[data-testid=settings-saved]');
  // The key left the form; only its masked hint is shown.
  assert.equal(await card.locator('[data-testid=provider-key]').inputValue(), '');
  const status = await card.locator('[data-testid=key-status]').innerText();
  assert.ok(status.includes(`sk-…${key.slice(-4)}`), status);
  const settings = await server.api.request('GET', '/api/config');
  assert.equal(settings.keys.fake.has_key, true);
  if (!settings.keychain.available) {
    // No keychain here (the usual headless Linux): the key went into the file, and the screen says so.
    assert.ok(await page.locator('[data-testid=keychain-warning]').isVisible());
    assert.ok((await card.locator('[data-testid=key-warning]').innerText()).length > 0);
  }
  assert.ok(!JSON.stringify(settings).includes(key), 'the API never returns the key');

  // Looking for local servers answers with a list (empty on a machine without Ollama or LM Studio).
  await page.click('[data-testid=discover]');
  await page.waitForSelector('[data-testid=local-servers]');

  await page.evaluate(() => {
    document.querySelector('.settings-body').scrollTop = 0;
    return document.fonts.ready;
  });
  const shot = path.join(ensureResultsDir('screenshots'), 'settings.png');
  await page.locator('[data-testid=settings-dialog]').screenshot({ path: shot });
  await page.click('[data-testid=settings-close]');

  // The provider's model is in the picker, listed by the upstream.
  await page.waitForSelector('[data-testid=model-picker] option[value="fake/fake-1"]', { state: 'attached', timeout: 10_000 });
  await page.click('[data-testid=new-chat]');
  await page.waitForSelector('[data-testid=empty-chat]');
  const sessionId = await page.getAttribute('[data-testid=session].active', 'data-id');
  await page.selectOption('[data-testid=model-picker]', 'fake/fake-1');
  await waitFor(async () => (await server.api.sessions()).find((s) => s.id === sessionId)?.model === 'fake/fake-1', { what: 'the chat to use fake/fake-1' });

  await sendFromUI(page, 'Hello fake');
  await waitForAnswerStatus(page, 'complete');
  assert.equal(await answerText(page), fastAnswer.join(''));
  const tag = page.locator('[data-testid=message][data-role=assistant] >> nth=-1 >> [data-testid=model-tag]');
  assert.equal((await tag.innerText()).trim(), 'fake/fake-1 · 12 in / 5 out');

  // The first answer also names the chat, in a request of its own.
  const titleRequest = (r) => String(r.body?.messages?.[0]?.content ?? '').startsWith('You name conversations');
  const chats = upstream.requests.filter((r) => r.url === '/v1/chat/completions' && !titleRequest(r));
  assert.ok(chats.length >= 1);
  for (const r of chats) assert.equal(r.auth, `Bearer ${key}`, 'every chat request carries the key');
  // (The model list was also asked for between saving the provider and saving its key, without one.)
  assert.ok(upstream.requests.some((r) => r.url === '/v1/models' && r.auth === `Bearer ${key}`));
  assert.equal(chats.at(-1).body.model, 'fake-1');
  assert.equal(chats.at(-1).body.stream, true);
  assert.equal(chats.at(-1).body.messages.at(-1).content, 'Hello fake');

  // An OpenAI-compatible provider cannot continue a stopped answer: the message says so and offers Regenerate.
  await sendFromUI(page, 'Be slow please');
  await waitFor(async () => ((await answerText(page)) ?? '').length > 20, { what: 'some slow text' });
  await page.click('[data-testid=stop-button]');
  await waitForAnswerStatus(page, 'stopped');
  const last = page.locator('[data-testid=message][data-role=assistant]').last();
  await last.locator('[data-testid=continue]').click();
  await last.locator('[data-testid=cannot-continue]').waitFor();
  assert.match(await last.locator('[data-testid=cannot-continue]').innerText(), /Cannot continue: .*regenerate/i);
  assert.equal(await last.locator('[data-testid=continue]').count(), 0, 'Continue is no longer offered');
  assert.equal(await page.locator('[data-testid=toast]').count(), 0, 'not reported as a failure');
  await last.locator('[data-testid=regenerate-instead]').click();
  await waitFor(async () => (await answerText(page)) === fastAnswer.join(''), { what: 'the regenerated answer' });
  await waitForAnswerStatus(page, 'complete');
  assert.equal(await page.locator('[data-testid=cannot-continue]').count(), 0);

  // Nowhere in the page: not in the DOM, not in an input, not in storage.
  const leaks = await page.evaluate((k) => {
    const found = [];
    if (document.documentElement.outerHTML.includes(k)) found.push('DOM');
    for (const el of document.querySelectorAll('input, textarea')) if (el.value.includes(k)) found.push(`input ${el.dataset.testid}`);
    for (const store of [localStorage, sessionStorage]) {
      for (let i = 0; i < store.length; i++) if ((store.getItem(store.key(i)) ?? '').includes(k)) found.push(`storage ${store.key(i)}`);
    }
    return found;
  }, key);
  assert.deepEqual(leaks, []);

  // Remove key: gone from the server, and the screen says there is none.
  await page.click('[data-testid=settings]');
  const fake = page.locator('[data-testid=provider][data-name=fake]');
  await fake.locator('[data-testid=remove-key]').click();
  await fake.locator('[data-testid=key-status]', { hasText: 'No key' }).waitFor();
  assert.equal((await server.api.request('GET', '/api/config')).keys.fake.has_key, false);
  await page.click('[data-testid=settings-close]');
  assert.deepEqual(problems, []);
  await context.close();
});
