import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  answerText,
  cleanupAll,
  launchBrowser,
  openApp,
  sendFromUI,
  startServer,
  waitFor,
  waitForAnswerStatus,
  waitForStatus,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ tps: 60 });
  browser = await launchBrowser();
});
after(cleanupAll);

test('a message streams, completes, and the screen equals the stored answer', async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  // The token left the address bar (kept in this tab's sessionStorage).
  assert.equal(new URL(page.url()).hash, '');
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base });

  await sendFromUI(page, 'Tell me how resuming works');
  await waitForAnswerStatus(page, 'streaming');
  // It streams: text shows up while the message is still being written.
  const partial = await waitFor(
    async () => {
      const t = await answerText(page);
      const s = await page.getAttribute('[data-testid=message][data-role=assistant] >> nth=-1', 'data-status');
      return t && t.length > 20 && s === 'streaming' ? t : null;
    },
    { what: 'partial streamed text' },
  );
  await waitForAnswerStatus(page, 'complete');
  const screen = await answerText(page);
  assert.ok(screen.length > partial.length, 'the answer kept growing');

  const [session] = await server.api.sessions();
  const stored = (await server.api.messages(session.id)).at(-1);
  assert.equal(stored.status, 'complete');
  assert.equal(stored.role, 'assistant');

  // The message's own Copy button hands over exactly the stored text.
  await page.hover('[data-testid=message][data-role=assistant] >> nth=-1');
  await page.click('[data-testid=message][data-role=assistant] >> nth=-1 >> [data-testid=copy-message]');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert.equal(copied, stored.content);

  // What streamed onto the screen equals what a fresh load renders from the stored message.
  await page.reload();
  await waitForStatus(page, 'live');
  await waitForAnswerStatus(page, 'complete');
  assert.equal(await answerText(page), screen);
  // The code block got highlighted and a copy button.
  assert.ok(await page.locator('[data-testid=message][data-role=assistant] .code-block pre code.hljs').count() >= 1);
  assert.deepEqual(problems, []);
  await context.close();
});
