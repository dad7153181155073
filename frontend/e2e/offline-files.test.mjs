// Files and a dropped network: an image attached while offline is kept in
// the browser (IndexedDB), survives a reload, and reaches the server once,
// byte for byte, when the connection is back; IndexedDB is empty after.
// And a big upload shows a progress bar that rises (upload throttled with
// the debugging protocol so it can be watched).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { png } from './png.mjs';
import { answerText, cleanupAll, launchBrowser, openApp, sleep, startServer, waitFor, waitForAnswerStatus, waitForStatus } from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ tps: 400 });
  browser = await launchBrowser();
});
after(cleanupAll);

const online = { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 };

/** How many files the app keeps in IndexedDB (the database exists once the app kept one). */
function keptCount(page) {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const req = indexedDB.open('holdfast-files', 1);
        req.onupgradeneeded = () => req.result.createObjectStore('files'); // as the app makes it
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const count = db.transaction('files').objectStore('files').count();
          count.onsuccess = () => {
            db.close();
            resolve(count.result);
          };
          count.onerror = () => reject(count.error);
        };
      }),
  );
}

test('an image sent offline is kept in the browser across a reload and reaches the server once, byte for byte', async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  await page.click('[data-testid=new-chat]');
  await page.waitForSelector('[data-testid=empty-chat]');
  const [session] = await server.api.sessions();
  const image = png(120, 80);

  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { ...online, offline: true });
  await waitForStatus(page, 'offline');

  await page.setInputFiles('[data-testid=file-input]', [{ name: 'offline.png', mimeType: 'image/png', buffer: image }]);
  const chip = page.locator('[data-testid=attachment-chip]');
  await waitFor(async () => (await chip.getAttribute('data-state')) === 'waiting', { what: 'the chip waits (kept), not failed', timeoutMs: 15_000 });
  assert.match(await chip.locator('[data-testid=chip-waiting]').innerText(), /Waiting for the connection/);
  assert.equal(await keptCount(page), 1);
  assert.equal(await page.isEnabled('[data-testid=send]'), true, 'Send is allowed with a kept file');

  const text = 'an image written offline';
  await page.fill('[data-testid=composer]', text);
  await page.click('[data-testid=send]');
  const pending = page.locator('[data-testid=pending-message]');
  await pending.waitFor();
  assert.equal(await chip.count(), 0, 'the chips moved to the queued message');
  await page.locator('[data-testid=pending-file][data-kept=browser] img').waitFor();
  assert.equal(await pending.locator('[data-testid=pending-file] .name').innerText(), 'offline.png');
  const queued = await page.evaluate(() => JSON.parse(localStorage.getItem('holdfast.outbox') ?? '[]'));
  assert.equal(queued.length, 1);
  assert.equal(queued[0].attachments.length, 1);
  assert.ok(queued[0].attachments[0].local, 'queued by its local key');
  assert.equal(queued[0].attachments[0].id, undefined, 'not uploaded yet');
  await sleep(1500); // retries happen meanwhile; nothing reaches the server
  assert.equal((await server.api.messages(session.id)).length, 0);

  // Reload while the server still cannot be reached. The page itself comes
  // from the server, so "offline" is now every API request failing as an
  // offline one does (the page's own files still load).
  await page.route('**/api/**', (route) => route.abort('internetdisconnected'));
  await cdp.send('Network.emulateNetworkConditions', online);
  await page.reload();
  await page.waitForSelector('[data-testid=status][data-state=offline], [data-testid=status][data-state=reconnecting], [data-testid=status][data-state=failed]');
  await pending.waitFor();
  assert.equal(await pending.locator('.plain').innerText(), text);
  await page.locator('[data-testid=pending-file][data-kept=browser] img').waitFor();
  const thumbOk = await page.locator('[data-testid=pending-file] img').evaluate((img) => img.decode().then(() => img.naturalWidth));
  assert.equal(thumbOk, 120, 'the chip shows the image from IndexedDB');
  assert.equal(await keptCount(page), 1);
  assert.equal((await server.api.messages(session.id)).length, 0);

  await page.unroute('**/api/**');
  await waitForStatus(page, 'live', 30_000);
  await pending.waitFor({ state: 'detached', timeout: 20_000 });
  await waitForAnswerStatus(page, 'complete');
  assert.match(await answerText(page), /offline\.png: image \(image\/png\), \d+ bytes, 120×80 pixels/);

  const messages = await server.api.messages(session.id);
  const users = messages.filter((m) => m.role === 'user');
  assert.equal(users.length, 1, 'one user message');
  assert.equal(users[0].content, text);
  assert.equal(users[0].attachments.length, 1, 'with one attachment');
  assert.equal(users[0].attachments[0].name, 'offline.png');
  const res = await fetch(`${server.base}/api/attachments/${users[0].attachments[0].id}`, { headers: { Authorization: `Bearer ${server.token}` } });
  assert.equal(res.status, 200);
  assert.ok(Buffer.from(await res.arrayBuffer()).equals(image), 'the stored bytes are the PNG');
  await waitFor(async () => (await keptCount(page)) === 0, { what: 'IndexedDB emptied after the ack' });
  assert.deepEqual(await page.evaluate(() => JSON.parse(localStorage.getItem('holdfast.outbox') ?? '[]')), []);

  // Reconnecting again sends nothing more.
  await page.reload();
  await waitForStatus(page, 'live');
  await sleep(500);
  assert.equal((await server.api.messages(session.id)).length, messages.length);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a file picked while offline that the browser cannot keep says so on the chip and can be retried online', async () => {
  // IndexedDB refused, as in a private window or with the quota used up.
  const { page, context, problems } = await openApp(browser, server.url, {
    beforeGoto: (p) =>
      p.addInitScript(() => {
        IDBFactory.prototype.open = function () {
          throw new DOMException('The user denied permission to access the database.', 'SecurityError');
        };
      }),
  });
  await page.click('[data-testid=new-chat]');
  await page.waitForSelector('[data-testid=empty-chat]');
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { ...online, offline: true });
  await waitForStatus(page, 'offline');
  await page.setInputFiles('[data-testid=file-input]', [{ name: 'private.png', mimeType: 'image/png', buffer: png(10, 10) }]);
  const chip = page.locator('[data-testid=attachment-chip]');
  await waitFor(async () => (await chip.getAttribute('data-state')) === 'failed', { what: 'the chip fails' });
  assert.match(await chip.locator('[data-testid=chip-error]').innerText(), /this browser cannot keep the file.*denied permission/);
  assert.equal(await page.isEnabled('[data-testid=send]'), false);

  await cdp.send('Network.emulateNetworkConditions', online);
  await waitForStatus(page, 'live', 30_000);
  await page.click('[data-testid=chip-retry]');
  await waitFor(async () => (await chip.getAttribute('data-state')) === 'ready', { what: 'uploaded on retry' });
  assert.deepEqual(problems, []);
  await context.close();
});

test('a big upload shows a progress bar that rises and goes when it is done', async (t) => {
  const { page, context, problems } = await openApp(browser, server.url);
  await page.click('[data-testid=new-chat]');
  await page.waitForSelector('[data-testid=empty-chat]');
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  // 8 MB at 2 MB/s: about four seconds of upload to watch.
  await cdp.send('Network.emulateNetworkConditions', { ...online, uploadThroughput: 2 * 1024 * 1024 });
  // Made in the page: 8 MB through the debugging protocol is slow on a loaded machine.
  await page.evaluate(() => {
    const line = 'the quick brown fox jumps over the lazy dog 0123456789\n';
    const dt = new DataTransfer();
    dt.items.add(new File([line.repeat(Math.ceil((8 * 1024 * 1024) / line.length))], 'big.txt', { type: 'text/plain' }));
    const input = document.querySelector('[data-testid=file-input]');
    input.files = dt.files;
    input.dispatchEvent(new Event('change', { bubbles: true }));
  });
  const bar = page.locator('[data-testid=chip-progress]');
  await bar.waitFor({ timeout: 10_000 });
  assert.equal(await bar.getAttribute('role'), 'progressbar');
  assert.equal(await bar.getAttribute('aria-valuemax'), '100');
  assert.match(await bar.getAttribute('aria-label'), /Uploading big\.txt/);
  const seen = [];
  await waitFor(
    async () => {
      const v = await bar.getAttribute('aria-valuenow', { timeout: 1000 }).catch(() => null);
      if (v !== null && seen.at(-1) !== Number(v)) seen.push(Number(v));
      return (await page.locator('[data-testid=attachment-chip][data-state=ready]').count()) === 1;
    },
    { what: 'the upload to finish', timeoutMs: 60_000, intervalMs: 100 },
  );
  t.diagnostic(`progress values seen: ${seen.join(', ')}`);
  assert.ok(seen.length >= 3, `the bar moved: ${seen.join(', ')}`);
  assert.deepEqual([...seen].sort((a, b) => a - b), seen, 'it only rises');
  assert.ok(seen.some((v) => v > 0 && v < 100), `values in between: ${seen.join(', ')}`);
  assert.equal(await bar.count(), 0, 'the bar is gone when the upload is done');
  assert.deepEqual(problems, []);
  await context.close();
});
