// Reasoning end to end: a reasoning model behind an OpenAI-compatible
// server streams its thinking; the page shows it in a "Thinking…" block
// that survives a reload and a kill -9 of the backend (the answer is then
// continued inside the reasoning), and the export carries it. An answer cut
// at the length limit says so and continues on request.
import assert from 'node:assert/strict';
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { answerText, cleanupAll, launchBrowser, openApp, sendFromUI, sleep, startServer, tempHome, waitFor, waitForAnswerStatus, waitForStatus } from './helpers.mjs';

const reasoning = Array.from({ length: 30 }, (_, i) => `step${i} `);
const answer = ['The', ' answer', ' is', ' 42', '.'];

/**
 * A stand-in for llama.cpp's llama-server (build b10587, as captured
 * against the real one; docs/providers.md) with a reasoning model:
 * `GET /props`, one model, and streaming chat completions whose reasoning
 * arrives as `reasoning_content`, then the answer as `content`. A trailing
 * assistant message is prefilled (its `reasoning_content` continues the
 * reasoning) and, like the real server, repeated at the start of the
 * first delta. `max_tokens` cuts the answer with finish_reason "length".
 */
async function startFakeLlama() {
  const chats = [];
  const srv = http.createServer(async (req, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    const json = (status, body) => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', Server: 'llama.cpp' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && req.url === '/props') return json(200, { default_generation_settings: { n_ctx: 4096 }, build_info: 'b10587-3f545becc' });
    if (req.method === 'GET' && req.url === '/v1/models') return json(200, { object: 'list', data: [{ id: 'tiny-think.gguf', object: 'model', created: 1, owned_by: 'llamacpp' }] });
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return json(404, { error: { code: 404, message: 'File Not Found', type: 'not_found_error' } });
    const body = JSON.parse(raw);
    // Holdfast names a new chat with a request of its own after the first
    // answer; only the answers' requests are kept for the assertions.
    if (body.messages.at(-1)?.content !== 'Title for this conversation:') chats.push(body);
    let pieces = [...reasoning.map((t) => ['reasoning_content', t]), ...answer.map((t) => ['content', t])];
    const last = body.messages.at(-1);
    if (last.role === 'assistant') {
      const done = last.content ? reasoning.join('') + last.content : (last.reasoning_content ?? '');
      let acc = '';
      for (let i = 0; i < pieces.length; i++) {
        if (acc === done) {
          pieces = pieces.slice(i);
          break;
        }
        acc += pieces[i][1];
      }
      pieces[0] = [pieces[0][0], (last.content || last.reasoning_content) + pieces[0][1]]; // the repeated prefill
    }
    let finish = 'stop';
    if (body.max_tokens && body.max_tokens < pieces.length) {
      pieces = pieces.slice(0, body.max_tokens);
      finish = 'length';
    }
    let closed = false;
    res.on('close', () => (closed = true));
    res.writeHead(200, { 'Content-Type': 'text/event-stream', Server: 'llama.cpp' });
    const chunk = (delta, finishReason = null) =>
      `data: ${JSON.stringify({ choices: [{ finish_reason: finishReason, index: 0, delta }], created: 1, id: 'chatcmpl-e2e', model: 'tiny-think.gguf', system_fingerprint: 'b10587-3f545becc', object: 'chat.completion.chunk' })}\n\n`;
    res.write(chunk({ role: 'assistant', content: null }));
    for (const [field, text] of pieces) {
      if (closed) return;
      res.write(chunk({ [field]: text }));
      await sleep(field === 'reasoning_content' ? 300 : 30); // slow enough to catch it reasoning on a loaded machine
    }
    res.write(chunk({}, finish));
    res.write(`data: ${JSON.stringify({ choices: [], created: 1, id: 'chatcmpl-e2e', model: 'tiny-think.gguf', object: 'chat.completion.chunk', usage: { completion_tokens: pieces.length, prompt_tokens: 20, total_tokens: 20 + pieces.length }, timings: { predicted_n: pieces.length } })}\n\n`);
    res.end('data: [DONE]\n\n');
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${srv.address().port}`, chats, close: () => new Promise((r) => srv.close(r)) };
}

let server;
let browser;
let llama;

before(async () => {
  llama = await startFakeLlama();
  const home = tempHome();
  writeFileSync(
    path.join(home, 'config.toml'),
    `default_model = "llama/tiny-think.gguf"

[[providers]]
name = "llama"
kind = "openai"
base_url = "${llama.base}/v1"

[[providers]]
name = "short"
kind = "openai"
base_url = "${llama.base}/v1"
[providers.params]
max_tokens = 4
`,
  );
  [server, browser] = await Promise.all([startServer({ home, heartbeat: '1s' }), launchBrowser()]);
});
after(async () => {
  await cleanupAll();
  await llama?.close();
});

const reasoningBlock = (page) => page.locator('[data-testid=message][data-role=assistant] >> nth=-1 >> [data-testid=reasoning]');
const reasoningText = (page) => page.locator('[data-testid=message][data-role=assistant] >> nth=-1 >> [data-testid=reasoning-text]').innerText();

test('a reasoning stream shows its block, survives a reload and a kill -9, and the export has it', async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  await sendFromUI(page, 'Think it over');
  const block = reasoningBlock(page);
  await block.locator('xpath=self::*[@data-thinking="true"]').waitFor({ timeout: 15_000 });
  assert.equal(await block.getAttribute('open'), '', 'open while the model reasons');
  assert.match(await block.locator('[data-testid=reasoning-summary]').innerText(), /Thinking…/);
  await waitFor(async () => (await reasoningText(page)).includes('step3'), { what: 'some reasoning' });
  assert.equal(await page.locator('[data-testid=message][data-role=assistant] >> nth=-1 >> [data-testid=message-text]').innerText(), '', 'no answer text yet');

  // A reload while it reasons: the block is back, open, with what was shown.
  await page.reload();
  await waitForStatus(page, 'live');
  await reasoningBlock(page).locator('xpath=self::*[@data-thinking="true"]').waitFor({ timeout: 15_000 });
  await waitFor(async () => (await reasoningText(page)).includes('step5'), { what: 'reasoning after the reload' });

  // kill -9 while it reasons; the next start continues inside the reasoning.
  await waitFor(async () => (await reasoningText(page)).includes('step8'), { what: 'more reasoning' });
  await server.kill();
  await waitForStatus(page, 'reconnecting');
  const before = await reasoningText(page);
  assert.ok(!before.includes(reasoning.at(-1)), 'killed mid-reasoning');
  server = await server.restart();
  await waitForStatus(page, 'live');
  await waitForAnswerStatus(page, 'complete', 60_000);

  assert.equal(await answerText(page), answer.join(''));
  const summary = reasoningBlock(page).locator('[data-testid=reasoning-summary]');
  assert.match(await summary.innerText(), /Thought for \d+(\.\d)? s/);
  assert.equal(await reasoningBlock(page).getAttribute('open'), null, 'collapsed once the answer began');
  await summary.click();
  const shown = await reasoningText(page);
  assert.equal(shown.trim(), reasoning.join('').trim());
  for (const step of reasoning) assert.equal(shown.split(step).length - 1, 1, `${step.trim()} shown once`);

  // The server continued the answer inside the reasoning, with what it had.
  assert.equal(llama.chats.length, 2);
  const prefill = llama.chats[1].messages.at(-1);
  assert.equal(prefill.role, 'assistant');
  assert.equal(prefill.content, '');
  assert.ok(before.trim() !== '' && prefill.reasoning_content.startsWith(before.trim()), 'continued after the reasoning shown before the kill');

  // Stored and exported.
  const [session] = await server.api.sessions();
  const [, stored] = await server.api.messages(session.id);
  assert.equal(stored.reasoning, reasoning.join(''));
  assert.equal(stored.content, answer.join(''));
  assert.ok(stored.reasoning_ms > 0);
  for (const [format, marker] of [
    ['md', '<details>'],
    ['html', '<details class="reasoning">'],
    ['json', '"reasoning": "step0 '],
  ]) {
    const res = await fetch(`${server.base}/api/sessions/${session.id}/export?format=${format}`, { headers: { Authorization: `Bearer ${server.token}` } });
    const text = await res.text();
    assert.equal(res.status, 200);
    assert.ok(text.includes(marker), `${format} export has the reasoning section`);
    assert.ok(text.includes('step29'), `${format} export has the whole reasoning`);
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test('an answer cut at the length limit while reasoning says so, and Continue finishes it', async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  await page.click('[data-testid=new-chat]');
  await page.waitForSelector('[data-testid=empty-chat]');
  // The picker groups models by provider.
  const groups = await page.locator('[data-testid=model-group]').evaluateAll((els) => els.map((e) => e.dataset.provider));
  assert.deepEqual(groups, ['demo', 'llama', 'short']);
  await page.selectOption('[data-testid=model-picker]', 'short/tiny-think.gguf');
  await sendFromUI(page, 'Think briefly');
  await waitForAnswerStatus(page, 'complete');
  const last = page.locator('[data-testid=message][data-role=assistant]').last();
  const note = last.locator('[data-testid=finish-note]');
  await note.waitFor();
  assert.equal(await note.getAttribute('data-reason'), 'length');
  assert.match(await note.innerText(), /length limit while the model was still reasoning/);
  assert.equal(await last.locator('[data-testid=reasoning-only]').count(), 1, 'no empty bubble');
  // Each part is cut at 4 tokens: continue until the answer is whole.
  const id = await last.getAttribute('data-id');
  const stored = async () => {
    for (const s of await server.api.sessions()) {
      const m = (await server.api.messages(s.id)).find((x) => x.id === id);
      if (m) return m;
    }
    return null;
  };
  for (let part = 1; ; part++) {
    const m = await stored();
    if (m.finish_reason !== 'length') break;
    assert.ok(part < 15, 'the answer completes');
    const before = (m.reasoning ?? '').length + m.content.length;
    await last.locator('[data-testid=continue-cut]').click();
    await waitFor(
      async () => {
        const n = await stored();
        return n.status === 'complete' && (n.reasoning ?? '').length + n.content.length > before;
      },
      { timeoutMs: 20_000, what: `continued part ${part}` },
    );
    await waitForAnswerStatus(page, 'complete');
  }
  await waitForAnswerStatus(page, 'complete');
  assert.equal(await answerText(page), answer.join(''));
  await last.locator('[data-testid=reasoning-summary]').click();
  assert.equal((await last.locator('[data-testid=reasoning-text]').innerText()).trim(), reasoning.join('').trim());
  assert.deepEqual(problems, []);
  await context.close();
});

test('Settings says how each provider continues and tests it; an unreachable one stays in the picker, marked', async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  await page.click('[data-testid=settings]');
  const card = page.locator('[data-testid=provider][data-name=llama]');
  const inForce = card.locator('[data-testid=continuation-in-force]');
  await inForce.waitFor({ timeout: 15_000 });
  assert.equal(await inForce.getAttribute('data-mode'), 'prefill');
  assert.equal(await inForce.getAttribute('data-server'), 'llama.cpp');
  assert.match(await inForce.innerText(), /b10587.*\/props/s);
  assert.equal(await card.locator('[data-testid=provider-continuation]').inputValue(), '', 'automatic');
  assert.equal(await card.locator('[data-testid=single-model-note]').count(), 1);
  await card.locator('[data-testid=test-provider]').click();
  const result = card.locator('[data-testid=test-result]');
  await result.waitFor({ timeout: 30_000 });
  assert.equal(await result.getAttribute('data-ok'), 'true');
  assert.match(await result.innerText(), /first token after \d+ ms; models listed: 1/);

  // The default model is picked from a list, grouped by provider.
  const options = await page.locator('[data-testid=default-model] option').evaluateAll((els) => els.map((e) => e.value));
  assert.ok(options.includes('llama/tiny-think.gguf') && options.includes('short/tiny-think.gguf') && options.includes('demo/demo'));

  // A provider whose server is gone: still listed, marked unreachable.
  await page.click('[data-testid=add-provider]');
  const added = page.locator('[data-testid=provider]').last();
  await added.locator('[data-testid=provider-name]').fill('gone');
  await added.locator('[data-testid=provider-base-url]').fill('http://127.0.0.1:9/v1');
  await added.locator('[data-testid=provider-models]').fill('kept-model');
  await added.locator('[data-testid=provider-continuation]').selectOption('none');
  await page.click('[data-testid=settings-save]');
  await page.waitForSelector('[data-testid=settings-saved]');
  const goneCard = page.locator('[data-testid=provider][data-name=gone]');
  await goneCard.locator('[data-testid=test-provider]').click();
  const goneResult = goneCard.locator('[data-testid=test-result]');
  await goneResult.waitFor({ timeout: 30_000 });
  assert.equal(await goneResult.getAttribute('data-ok'), 'false');
  assert.match(await goneResult.innerText(), /connection refused/);
  assert.equal(await goneCard.locator('[data-testid=continuation-in-force]').getAttribute('data-mode'), 'none');
  await page.click('[data-testid=settings-close]');
  const group = page.locator('[data-testid=model-group][data-provider=gone]');
  await waitFor(async () => (await group.count()) === 1, { what: 'the unreachable provider in the picker' });
  assert.equal(await group.getAttribute('data-reachable'), 'false');
  assert.match(await group.getAttribute('label'), /gone · unreachable/);
  assert.deepEqual(await group.locator('option').evaluateAll((els) => els.map((e) => e.value)), ['gone/kept-model']);
  await page.selectOption('[data-testid=model-picker]', 'gone/kept-model');
  await page.locator('[data-testid=provider-unreachable]').waitFor();
  assert.deepEqual(problems, []);
  await context.close();
});
