import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cleanupAll, launchBrowser, openApp, sendFromUI, sleep, startServer, waitForAnswerStatus } from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ tps: 500 });
  browser = await launchBrowser();
});
after(cleanupAll);

const payload = [
  '<img src=x onerror="window.__xss=(window.__xss||0)+1">',
  '<script>window.__xss=(window.__xss||0)+1</script>',
  '<svg onload="window.__xss=(window.__xss||0)+1"><circle r="3"/></svg>',
  '<iframe src="javascript:parent.__xss=1"></iframe>',
  '<a href="javascript:window.__xss=1" id="jslink">click me</a>',
  '[md link](javascript:window.__xss=1)',
  '<form action="https://evil.example/"><button id="formbtn">go</button></form>',
  '<div style="position:fixed;inset:0;background:red" id="overlay">overlay</div>',
  'a [safe link](https://example.com/docs) to keep',
].join(' ');

test('model output with script, handlers and javascript: links renders inert', async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  await sendFromUI(page, `/echo ${payload}`);
  await waitForAnswerStatus(page, 'complete');
  await sleep(500); // give any handler (image error, svg load) the chance to fire

  const answer = page.locator('[data-testid=message][data-role=assistant] [data-testid=message-text]').last();
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'no injected code ran');
  assert.equal(await answer.locator('script, iframe, form, input, object, embed, style').count(), 0);
  const dangerous = await answer.evaluate((root) => {
    const found = [];
    for (const el of root.querySelectorAll('*')) {
      for (const a of el.getAttributeNames()) {
        if (a.startsWith('on') || a === 'style') found.push(`${el.tagName}[${a}]`);
      }
      const href = el.getAttribute('href');
      if (href && !/^(https?:|mailto:|#)/i.test(href)) found.push(`${el.tagName}[href=${href}]`);
    }
    return found;
  });
  assert.deepEqual(dangerous, []);

  // Clicking what used to be a javascript: link does nothing.
  await answer.locator('text=click me').click();
  await answer.locator('text=md link').click();
  await sleep(200);
  assert.equal(await page.evaluate(() => window.__xss), undefined);

  // Real links open outside the app, without opener or referrer.
  const safe = answer.locator('a', { hasText: 'safe link' });
  assert.equal(await safe.getAttribute('target'), '_blank');
  assert.equal(await safe.getAttribute('rel'), 'noopener noreferrer');

  // The session title (taken from the prompt) is shown as text, not markup.
  const title = await page.locator('[data-testid=chat-title]').innerText();
  assert.match(title, /<img|\/echo/);
  assert.deepEqual(problems, []);
  await context.close();
});
