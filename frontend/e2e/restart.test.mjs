import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  answerText,
  cleanupAll,
  launchBrowser,
  openApp,
  recordStatuses,
  repeatedFragments,
  sendFromUI,
  startServer,
  statuses,
  waitFor,
  waitForAnswerStatus,
  waitForStatus,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ tps: 30 });
  browser = await launchBrowser();
});
after(cleanupAll);

const prompt = 'Explain heartbeats and half-open sockets';

test('SIGKILL mid-answer and restart: reconnecting, then live, and the answer completes exactly once', async () => {
  const { page, context, problems } = await openApp(browser, server.url);

  // Reference: the same prompt answered without interruption (the demo model is deterministic).
  await sendFromUI(page, prompt);
  await waitForAnswerStatus(page, 'complete');
  const reference = await answerText(page);
  assert.ok(reference.length > 200);

  await page.click('[data-testid=new-chat]');
  await page.waitForSelector('[data-testid=empty-chat]');
  await recordStatuses(page);
  await sendFromUI(page, prompt);
  await waitForAnswerStatus(page, 'streaming');
  await waitFor(async () => ((await answerText(page)) ?? '').length > 80, { what: 'some streamed text' });

  await server.kill(); // no shutdown event, nothing flushed politely
  await waitForStatus(page, 'reconnecting');
  const partial = await answerText(page);
  assert.ok(partial.length < reference.length, 'killed mid-answer');

  server = await server.restart();
  await waitForStatus(page, 'live');
  await waitForAnswerStatus(page, 'complete', 60_000);
  const text = await answerText(page);

  assert.equal(text, reference);
  assert.deepEqual(repeatedFragments(text), []);
  const opener = reference.split('\n')[0];
  assert.equal(text.split(opener).length - 1, 1, 'the opening paragraph appears once');

  const seen = (await statuses(page)).map((s) => s.state);
  const firstRetry = seen.indexOf('reconnecting');
  assert.ok(firstRetry >= 0, `reconnecting shown (saw ${seen.join(',')})`);
  assert.equal(seen.at(-1), 'live');

  // The stored answer is the same as the uninterrupted one, too.
  const sessions = await server.api.sessions();
  const contents = [];
  for (const s of sessions) contents.push((await server.api.messages(s.id)).at(-1).content);
  assert.equal(contents.length, 2);
  assert.equal(contents[0], contents[1]);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a server with a new database (another epoch) makes the client resync instead of replaying', async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  await page.waitForSelector('[data-testid=session]');
  assert.equal(await page.locator('[data-testid=session]').count(), 2);
  await page.evaluate(() => {
    window.__resets = [];
    window.holdfast.client.addEventListener('reset', (e) => window.__resets.push(e.data));
  });

  // Same address and token, fresh data folder: the old Last-Event-ID means nothing there.
  const old = server;
  await old.stop();
  server = await startServer({ port: old.port, token: old.token });
  const resets = await waitFor(async () => {
    const r = await page.evaluate(() => window.__resets);
    return r.length > 0 ? r : null;
  }, { timeoutMs: 20_000, what: 'a reset event' });
  assert.equal(resets[0].reason, 'epoch_mismatch');
  await waitForStatus(page, 'live');
  await page.waitForSelector('[data-testid=welcome]');
  assert.equal(await page.locator('[data-testid=session]').count(), 0);

  // The resumed stream is live on the new epoch: new chats show up.
  await server.api.createSession({ title: 'After the reset' });
  await page.waitForSelector('[data-testid=session] >> text=After the reset');
  assert.deepEqual(problems, []);
  await context.close();
});
