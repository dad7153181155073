import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cleanupAll, launchBrowser, openApp, sleep, startServer, waitFor, waitForStatus } from './helpers.mjs';

let server;
let browser;

before(async () => {
  // A long heartbeat: the watchdog alone would need 75 s to notice anything.
  server = await startServer({ heartbeat: '30s' });
  browser = await launchBrowser();
});
after(cleanupAll);

test('a jump of the wall clock (sleep and wake) triggers an immediate reconnect', async (t) => {
  const streamRequests = [];
  const { page, context, problems } = await openApp(browser, server.url, {
    beforeGoto: async (p) => {
      await p.clock.install();
      p.on('request', (r) => {
        if (new URL(r.url()).pathname === '/api/events') streamRequests.push({ at: Date.now(), lastId: r.headers()['last-event-id'] });
      });
    },
  });
  await page.evaluate(() => {
    window.__wakes = [];
    window.holdfast.client.addEventListener('wake', (e) => window.__wakes.push(e.data));
  });

  // Time that passes normally is not mistaken for sleep.
  await sleep(2500);
  assert.equal(streamRequests.length, 1);
  assert.deepEqual(await page.evaluate(() => window.__wakes), []);

  // The laptop "sleeps" for 20 minutes: the wall clock jumps while the page's timers did not run.
  const jumpedAt = Date.now();
  await page.clock.setSystemTime(new Date(Date.now() + 20 * 60_000));
  const reconnect = await waitFor(() => streamRequests.find((r) => r.at >= jumpedAt), {
    timeoutMs: 5000,
    intervalMs: 20,
    what: 'a new stream request after the clock jump',
  });
  t.diagnostic(`reconnected ${reconnect.at - jumpedAt} ms after the clock jump`);
  assert.ok(reconnect.at - jumpedAt < 2500, 'well before any heartbeat watchdog (75 s)');
  assert.ok(reconnect.lastId, 'the reconnect resumes with Last-Event-ID');
  const wakes = await page.evaluate(() => window.__wakes);
  assert.equal(wakes.length, 1);
  assert.ok(wakes[0].driftMs > 19 * 60_000);
  await waitForStatus(page, 'live');
  assert.deepEqual(problems, []);
  await context.close();
});
