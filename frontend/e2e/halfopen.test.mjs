import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  answerText,
  cleanupAll,
  FreezableProxy,
  launchBrowser,
  openApp,
  recordStatuses,
  repeatedFragments,
  sendFromUI,
  sleep,
  startServer,
  statuses,
  waitFor,
  waitForAnswerStatus,
  waitForStatus,
} from './helpers.mjs';

const heartbeatMs = 1000;
let server;
let proxy;
let browser;

before(async () => {
  server = await startServer({ tps: 25, heartbeat: `${heartbeatMs}ms` });
  proxy = new FreezableProxy(server.port);
  await proxy.listen();
  browser = await launchBrowser();
});
after(cleanupAll);

test('a frozen (half-open) connection is detected within 2.5 heartbeats and recovers on thaw', async (t) => {
  const url = `http://127.0.0.1:${proxy.port}/#token=${server.token}`;
  const { page, context, problems } = await openApp(browser, url);
  await recordStatuses(page);

  await sendFromUI(page, 'Tell me about backoff with jitter');
  await waitForAnswerStatus(page, 'streaming');
  await waitFor(async () => ((await answerText(page)) ?? '').length > 40, { what: 'some streamed text' });

  const frozenAt = Date.now();
  proxy.freeze(); // sockets stay open; no byte moves, no FIN, no RST
  const stalled = await waitFor(
    async () => (await statuses(page)).find((s) => s.at >= frozenAt && s.state === 'reconnecting'),
    { timeoutMs: 10_000, intervalMs: 25, what: 'the client to notice the stall' },
  );
  const detectedMs = stalled.at - frozenAt;
  assert.match(stalled.reason, /stalled/);
  // The watchdog counts from the last byte, which arrived just before the freeze;
  // the slack is only for timer lateness on a loaded machine.
  assert.ok(detectedMs <= 2.5 * heartbeatMs + 500, `stall detected after ${detectedMs} ms`);
  assert.ok(detectedMs >= 1.5 * heartbeatMs, `not a premature abort (${detectedMs} ms)`);
  t.diagnostic(`stall detected ${detectedMs} ms after the freeze`);
  const textWhileFrozen = await answerText(page);

  // The server kept generating meanwhile; thaw and the client catches up.
  await sleep(2000);
  proxy.thaw();
  await waitForStatus(page, 'live', 20_000);
  await waitForAnswerStatus(page, 'complete', 30_000);
  const text = await answerText(page);
  assert.ok(text.length > textWhileFrozen.length);
  assert.deepEqual(repeatedFragments(text), []);

  // Exactly what a fresh load of the stored answer shows.
  await page.reload();
  await waitForStatus(page, 'live');
  await waitForAnswerStatus(page, 'complete');
  assert.equal(await answerText(page), text);
  assert.deepEqual(problems, []);
  await context.close();
});
