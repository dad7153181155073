// Links and media in model output, in a real browser against a real
// `holdfast serve`: SVG links and image-map areas never navigate the app's
// page (they open a new tab without opener or referrer, or go to the
// desktop bridge), and a remote image makes no request until the user
// clicks "Load image". The "remote" host is a real HTTPS server on another
// loopback port with a throwaway self-signed certificate; it logs every
// request it gets.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { cleanupAll, launchBrowser, openApp, sendFromUI, sleep, startServer, tempHome, waitFor, waitForAnswerStatus, waitForStatus } from './helpers.mjs';

const png1x1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

let server;
let browser;
let remote;

/** An HTTPS server on 127.0.0.1 that answers PNGs and small pages and records each request. */
async function startRemote() {
  const dir = tempHome('holdfast-remote-');
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
  ], { stdio: 'ignore' });
  const log = [];
  const srv = https.createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (req, res) => {
    log.push({ path: req.url, referer: req.headers.referer ?? null });
    res.setHeader('Cache-Control', 'no-store');
    if (req.url.endsWith('.png')) {
      res.setHeader('Content-Type', 'image/png');
      res.end(Buffer.from(png1x1, 'base64'));
    } else {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><title>remote ${req.url}</title><p>outside the app</p>`);
    }
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const origin = `https://127.0.0.1:${srv.address().port}`;
  return {
    origin,
    host: `127.0.0.1:${srv.address().port}`,
    log,
    paths: () => log.map((r) => r.path),
    close: () => new Promise((resolve) => srv.close(resolve)),
  };
}

before(async () => {
  server = await startServer({ tps: 500 });
  browser = await launchBrowser();
  remote = await startRemote();
});
after(async () => {
  await remote?.close();
  await cleanupAll();
});

const answer = (page) => page.locator('[data-testid=message][data-role=assistant] [data-testid=message-text]').last();

function linkPayload() {
  return [
    `<svg width="240" height="60"><a href="${remote.origin}/svg-target"><rect width="240" height="60" fill="#c33"/><text x="12" y="36" fill="#fff">svg link</text></a></svg>`,
    `<img src="data:image/png;base64,${png1x1}" usemap="#hfmap" width="240" height="60" alt="image map"><map name="hfmap"><area shape="rect" coords="0,0,240,60" href="${remote.origin}/area-target" alt="area link"></map>`,
  ].join(' ');
}

/** Records every navigation of the app's own frame from now on. */
function watchNavigations(page) {
  const navigations = [];
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations.push(frame.url());
  });
  return navigations;
}

async function sendAndWait(page, text) {
  await sendFromUI(page, `/echo ${text}`);
  await waitForAnswerStatus(page, 'complete');
}

test('SVG links and image-map areas open a new tab without opener or referrer; the app never leaves its page', async () => {
  const { page, context, problems } = await openApp(browser, server.url, { contextOptions: { ignoreHTTPSErrors: true } });
  await sendAndWait(page, linkPayload());
  const here = page.url();
  const navigations = watchNavigations(page);

  const targets = [
    ['/svg-target', () => answer(page).locator('svg a rect').click()],
    ['/area-target', () => answer(page).locator('img[usemap]').click({ position: { x: 120, y: 30 } })],
  ];
  for (const [target, clickIt] of targets) {
    const popup = context.waitForEvent('page', { timeout: 15_000 });
    await clickIt();
    const tab = await popup;
    await tab.waitForLoadState('domcontentloaded');
    assert.equal(tab.url(), remote.origin + target, `${target} opened in its own tab`);
    assert.equal(await tab.evaluate(() => window.opener), null, `${target}: the new tab cannot reach the app`);
    const hit = remote.log.find((r) => r.path === target);
    assert.ok(hit, `${target} was requested by the new tab`);
    assert.equal(hit.referer, null, `${target}: no Referer sent`);
    await tab.close();
  }

  // Middle-click opens one tab too (the browser's own and ours would make two), never in place.
  const opened = [];
  context.on('page', (p) => opened.push(p));
  await answer(page).locator('svg a rect').click({ button: 'middle' });
  await waitFor(() => opened.length > 0, { what: 'a tab from the middle click' });
  await sleep(500);
  assert.equal(opened.length, 1, 'exactly one tab for a middle click');
  await opened[0].close();

  await sleep(300);
  assert.equal(page.url(), here, 'the app page kept its address');
  assert.deepEqual(navigations, [], 'the app frame never navigated');
  await waitForStatus(page, 'live');
  assert.deepEqual(problems, []);
  await context.close();
});

test('in the desktop window the same clicks go to the system browser (Wails BrowserOpenURL) and open nothing in the page', async () => {
  const { page, context, problems } = await openApp(browser, server.url, {
    // The Wails runtime the desktop window injects, with BrowserOpenURL recording its calls.
    beforeGoto: (_page, ctx) =>
      ctx.addInitScript(() => {
        window.__opened = [];
        window.runtime = {
          EventsEmit() {},
          EventsOn() {
            return () => {};
          },
          BrowserOpenURL(url) {
            window.__opened.push(url);
          },
        };
      }),
  });
  await sendAndWait(page, linkPayload() + ' [wiki](https://en.wikipedia.org/wiki/Mercury_(planet))');
  const navigations = watchNavigations(page);
  const pages = [];
  context.on('page', (p) => pages.push(p));
  const before = remote.log.length;

  await answer(page).locator('svg a rect').click();
  await answer(page).locator('img[usemap]').click({ position: { x: 120, y: 30 } });
  await answer(page).locator('a', { hasText: 'wiki' }).click();
  // A page script's window.open goes the same way (the guard replaces it in the desktop window).
  await page.evaluate((u) => window.open(u, '_blank'), `${remote.origin}/window-open`);
  await sleep(500);

  assert.deepEqual(await page.evaluate(() => window.__opened), [
    `${remote.origin}/svg-target`,
    `${remote.origin}/area-target`,
    'https://en.wikipedia.org/wiki/Mercury_%28planet%29',
    `${remote.origin}/window-open`,
  ]);
  assert.equal(pages.length, 0, 'no tab or window opened inside the app');
  assert.equal(remote.log.length, before, 'the page itself requested nothing');
  assert.deepEqual(navigations, []);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a remote image makes no request until "Load image"; "always in this chat" is remembered for that chat only', async () => {
  const { page, context, problems } = await openApp(browser, server.url, { contextOptions: { ignoreHTTPSErrors: true } });
  const seen = [];
  page.on('request', (r) => {
    if (r.url().startsWith(remote.origin)) seen.push(new URL(r.url()).pathname);
  });
  remote.log.length = 0;
  const o = remote.origin;
  await sendAndWait(
    page,
    [
      `![a cat](${o}/cat.png)`,
      `<img src="${o}/raw.png" alt="raw" srcset="${o}/raw-2x.png 2x">`,
      `<picture><source srcset="${o}/source.png"><img src="${o}/picture.png" alt="pic"></picture>`,
      `<svg width="8" height="8"><image href="${o}/svg-image.png" width="8" height="8"/></svg>`,
      `<video poster="${o}/poster.png" src="${o}/video.png"></video>`,
      `<table background="${o}/background.png"><tr><td>cell</td></tr></table>`,
      `<div style="background-image:url(${o}/css.png)">styled</div>`,
    ].join('\n\n'),
  );
  await sleep(1500); // time for anything eager (or lazy in view) to be fetched

  assert.deepEqual(remote.paths(), [], 'the remote host got no request before a click');
  assert.deepEqual(seen, [], 'the browser asked for nothing remote');
  const boxes = answer(page).locator('[data-testid=remote-image]');
  assert.equal(await boxes.count(), 3);
  assert.match(await boxes.first().innerText(), new RegExp(`Image from ${remote.host.replace(/\./g, '\\.')}`));
  assert.match(await boxes.first().innerText(), /a cat/);

  // One click loads that image and nothing else.
  await boxes.first().locator('button.remote-image-load', { hasText: 'Load image' }).click();
  const loaded = answer(page).locator('img[data-testid=remote-image-loaded]');
  await waitFor(() => loaded.first().evaluate((img) => img.complete && img.naturalWidth === 1), { what: 'the cat to load' });
  assert.deepEqual(remote.paths(), ['/cat.png']);
  assert.equal(remote.log[0].referer, null, 'no Referer sent with the image');
  assert.equal(await boxes.count(), 2);

  // "Always load images in this chat" loads the rest of this chat's images...
  await boxes.first().locator('button.remote-image-always', { hasText: 'Always load images in this chat' }).click();
  await waitFor(async () => (await loaded.count()) === 3 && (await boxes.count()) === 0, { what: 'all images to load' });
  await waitFor(() => remote.paths().length === 3, { what: 'the remote host to see three images' });
  assert.deepEqual(remote.paths().sort(), ['/cat.png', '/picture.png', '/raw.png']);

  // ...and is remembered for this chat: after a reload its images load at once.
  remote.log.length = 0;
  await page.reload();
  await waitForStatus(page, 'live');
  await waitFor(async () => (await answer(page).locator('img[data-testid=remote-image-loaded]').count()) === 3, { what: 'remembered images to load' });
  assert.deepEqual(remote.paths().sort(), ['/cat.png', '/picture.png', '/raw.png']);

  // A new chat does not inherit the choice.
  remote.log.length = 0;
  await page.click('[data-testid=new-chat]');
  await sendAndWait(page, `![dog](${o}/dog.png)`);
  await sleep(1000);
  assert.equal(await answer(page).locator('[data-testid=remote-image]').count(), 1);
  assert.deepEqual(remote.paths(), [], 'the other chat still asks first');
  assert.deepEqual(problems, []);
  await context.close();
});

test('serve sends the page’s own CSP as a header, nosniff everywhere, and no folder listings', async () => {
  const res = await fetch(`${server.base}/`);
  const page = await res.text();
  const meta = /<meta\s[^>]*http-equiv="Content-Security-Policy"[^>]*content="([^"]*)"/is.exec(page);
  assert.ok(meta, 'index.html declares its policy');
  const policy = meta[1].replace(/\s+/g, ' ').trim();
  assert.equal(res.headers.get('content-security-policy'), `${policy}; frame-ancestors 'none'`);
  assert.match(policy, /img-src 'self' data: blob: https:;/);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');

  for (const p of ['/assets/', '/assets', '/api/health', '/api/nope']) {
    const r = await fetch(server.base + p);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff', p);
    if (p.startsWith('/assets')) {
      assert.equal(r.status, 404, `${p} is not listed`);
      assert.doesNotMatch(await r.text(), /\.js/, `${p} names no bundle file`);
    }
  }
});
