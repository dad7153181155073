// Attachments in the browser: the paperclip's file input, drag and drop
// onto the window (a real DataTransfer) and pasting an image; the files
// upload, the message reaches the demo model with them (its answer names
// them), and the chat shows a thumbnail that opens full size.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import { png } from './png.mjs';
import { answerText, cleanupAll, launchBrowser, openApp, startServer, waitFor, waitForAnswerStatus } from './helpers.mjs';

let server;
let browser;
let app;

before(async () => {
  server = await startServer({ tps: 400 });
  browser = await launchBrowser();
});
beforeEach(async () => {
  app = await openApp(browser, server.url);
  await app.page.click('[data-testid=new-chat]');
  await app.page.waitForSelector('[data-testid=empty-chat]');
});
afterEach(async () => {
  const { problems, context } = app;
  await context.close();
  assert.deepEqual(problems, [], 'no page errors or dialogs');
});
after(cleanupAll);

const source = 'package main\n\nfunc main() {\n\tprintln("hi from e2e")\n}\n';

async function activeSession(page) {
  const id = await page.getAttribute('[data-testid=session].active', 'data-id');
  assert.ok(id);
  return id;
}

async function chipsReady(page, n) {
  await waitFor(async () => (await page.locator('[data-testid=attachment-chip][data-state=ready]').count()) === n, {
    what: `${n} uploaded chips`,
    timeoutMs: 20_000,
  });
}

test('the paperclip uploads a PNG and a source file; the model gets both and the chat shows a thumbnail', async () => {
  const { page } = app;
  const fetched = [];
  page.on('request', (r) => fetched.push(r.url()));
  await page.setInputFiles('[data-testid=file-input]', [
    { name: 'gradient.png', mimeType: 'image/png', buffer: png(400, 300) },
    { name: 'main.go', mimeType: 'text/x-go', buffer: Buffer.from(source) },
  ]);
  await chipsReady(page, 2);
  await page.fill('[data-testid=composer]', 'What are these?');
  await page.click('[data-testid=send]');
  await waitForAnswerStatus(page, 'complete');
  const answer = await answerText(page);
  assert.match(answer, /I received 2 file\(s\)/);
  assert.match(answer, /gradient\.png: image \(image\/png\), \d+ bytes, 400×300 pixels/);
  assert.match(answer, /main\.go: text, 6 lines/);
  assert.equal(await page.locator('[data-testid=attachment-chip]').count(), 0, 'chips cleared after send');

  const id = await activeSession(page);
  const [user] = await server.api.messages(id);
  assert.deepEqual(
    user.attachments.map((a) => [a.name, a.kind, a.mime]),
    [
      ['gradient.png', 'image', 'image/png'],
      ['main.go', 'text', 'text/plain; charset=utf-8'],
    ],
  );
  const image = user.attachments[0].id;
  const fullFetches = () => fetched.filter((u) => new URL(u).pathname === `/api/attachments/${image}`).length;
  const thumb = page.locator('[data-testid=message-file][data-kind=image] img');
  await waitFor(async () => (await thumb.evaluate((img) => img.complete && img.naturalWidth)) > 0, { what: 'the thumbnail loads' });
  assert.ok((await thumb.evaluate((img) => img.naturalWidth)) <= 320, 'a thumbnail, not the full image');
  assert.equal(fullFetches(), 0, 'the full image is not fetched until it is opened');
  await page.click('[data-testid=open-image]');
  const full = page.locator('[data-testid=image-viewer] img');
  await waitFor(async () => (await full.evaluate((img) => img.complete && img.naturalWidth)) === 400, { what: 'the full image' });
  assert.equal(fullFetches(), 1, 'opening it fetches it once');
  await page.click('[data-testid=image-viewer]');
  assert.equal(await page.locator('[data-testid=image-viewer]').count(), 0);
  assert.equal(await page.locator('[data-testid=message-file] [data-testid=file-link]').count(), 1);
});

test('an image dropped onto the window and one pasted into the composer reach the model', async () => {
  const { page } = app;
  const dropped = png(64, 48).toString('base64');
  const pasted = png(32, 16).toString('base64');
  await page.evaluate(
    ({ dropped }) => {
      const bytes = Uint8Array.from(atob(dropped), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'dropped.png', { type: 'image/png' }));
      window.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
      const drop = new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true });
      document.querySelector('[data-testid=composer]').dispatchEvent(drop);
      if (!drop.defaultPrevented) throw new Error('the drop was left to the browser');
    },
    { dropped },
  );
  await page.evaluate(
    ({ pasted }) => {
      const bytes = Uint8Array.from(atob(pasted), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], '', { type: 'image/png' })); // a clipboard image has no name
      const ev = new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true });
      document.querySelector('[data-testid=composer]').dispatchEvent(ev);
    },
    { pasted },
  );
  await chipsReady(page, 2);
  await page.press('[data-testid=composer]', 'Enter'); // files alone, no text
  await waitForAnswerStatus(page, 'complete');
  const answer = await answerText(page);
  assert.match(answer, /dropped\.png: image \(image\/png\), \d+ bytes, 64×48 pixels/);
  assert.match(answer, /pasted \d{4}-\d\d-\d\d [\d.]+\.png: image \(image\/png\), \d+ bytes, 32×16 pixels/);
  const id = await activeSession(page);
  const msgs = await server.api.messages(id);
  assert.equal(msgs.length, 2, 'sent once');
  assert.equal(msgs[0].attachments.length, 2);
});

test('a file over 20 MB is refused before uploading, with a clear message', async () => {
  const { page } = app;
  // Made in the page: 21 MB through the debugging protocol is slow on a loaded machine.
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(21 * 1024 * 1024).fill(97)], 'huge.txt', { type: 'text/plain' }));
    const input = document.querySelector('[data-testid=file-input]');
    input.files = dt.files;
    input.dispatchEvent(new Event('change', { bubbles: true }));
  });
  await page.waitForSelector('text=/huge.txt is 21.0 MB; the limit is 20 MB/');
  assert.equal(await page.locator('[data-testid=attachment-chip]').count(), 0);
});
