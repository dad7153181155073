import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  cleanupAll,
  launchBrowser,
  openApp,
  sendFromUI,
  sleep,
  startServer,
  waitForAnswerStatus,
  waitForStatus,
} from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ tps: 200 });
  browser = await launchBrowser();
});
after(cleanupAll);

test('offline: the status says so, a message typed meanwhile is pending, and it is sent exactly once', async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  await page.click('[data-testid=new-chat]');
  await page.waitForSelector('[data-testid=empty-chat]');
  const [session] = await server.api.sessions();

  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const conditions = { latency: 0, downloadThroughput: -1, uploadThroughput: -1 };
  await cdp.send('Network.emulateNetworkConditions', { ...conditions, offline: true });
  await waitForStatus(page, 'offline');

  const text = 'written while offline, sent once';
  await sendFromUI(page, text);
  const pending = page.locator('[data-testid=pending-message]');
  await pending.waitFor();
  assert.equal(await pending.locator('.plain').innerText(), text);
  assert.match(await pending.locator('.badge').innerText(), /Pending/);
  // Give the client time to retry a few times: still nothing reaches the server.
  await sleep(1500);
  assert.equal((await server.api.messages(session.id)).length, 0);
  // The message is also in localStorage, so a crash of the tab would not lose it.
  const stored = await page.evaluate(() => JSON.parse(localStorage.getItem('holdfast.outbox') ?? '[]'));
  assert.deepEqual(stored.map((i) => i.content), [text]);

  await cdp.send('Network.emulateNetworkConditions', { ...conditions, offline: false });
  await waitForStatus(page, 'live');
  await pending.waitFor({ state: 'detached' });
  await waitForAnswerStatus(page, 'complete');

  const messages = await server.api.messages(session.id);
  assert.equal(messages.filter((m) => m.role === 'user' && m.content === text).length, 1);
  assert.equal(messages.length, 2);
  assert.equal(await page.locator('[data-testid=message][data-role=user]').count(), 1);
  assert.deepEqual(await page.evaluate(() => JSON.parse(localStorage.getItem('holdfast.outbox') ?? '[]')), []);

  // Reconnecting again sends nothing more.
  await page.reload();
  await waitForStatus(page, 'live');
  await sleep(500);
  assert.equal((await server.api.messages(session.id)).length, 2);
  assert.deepEqual(problems, []);
  await context.close();
});
