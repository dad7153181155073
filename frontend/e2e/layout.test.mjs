// Narrow windows: at 720 px and below the sidebar is a drawer behind a
// visible button; between 720 and 1000 px it can be folded away (and stays
// so after a reload); at 600 px every control can be reached.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cleanupAll, launchBrowser, openApp, startServer, waitForAnswerStatus } from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ tps: 2000 });
  browser = await launchBrowser();
  for (const prompt of ['/echo first chat', '/echo second chat']) {
    const s = await server.api.createSession();
    await server.api.send(s.id, prompt);
    await server.api.settled(s.id);
  }
});
after(cleanupAll);

/** Every enabled control under `root` that is shown, and whether a click at its centre reaches it. */
function reachability(page, root) {
  return page.evaluate((sel) => {
    const out = [];
    for (const el of document.querySelectorAll(`${sel} button, ${sel} input, ${sel} select, ${sel} textarea`)) {
      if (el.disabled || el.closest('[inert]')) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === 'hidden') continue;
      // Shown on hover or focus only (a chat row's buttons): reached by pointing at the row, or by the arrow keys.
      let hidden = false;
      for (let a = el; a && !hidden; a = a.parentElement) hidden = getComputedStyle(a).opacity === '0';
      if (hidden) continue;
      const name = el.getAttribute('aria-label') || el.getAttribute('data-testid') || el.textContent.trim().slice(0, 30) || el.tagName;
      const x = r.left + r.width / 2;
      const y = r.top + r.height / 2;
      const inView = r.left >= 0 && r.right <= innerWidth + 0.5 && r.top >= 0 && r.bottom <= innerHeight + 0.5;
      const hit = document.elementFromPoint(x, y);
      out.push({ name, inView, onTop: !!hit && (hit === el || el.contains(hit) || hit.contains(el)) });
    }
    return out;
  }, root);
}

test('600 px: the sidebar is a drawer behind a visible button; Esc and choosing a chat close it', async () => {
  const { page, context, problems } = await openApp(browser, server.url, { viewport: { width: 600, height: 800 } });
  const button = page.locator('[data-testid=show-sidebar]');
  assert.ok(await button.isVisible(), 'the button that opens the chat list is visible');
  assert.equal(await button.getAttribute('aria-expanded'), 'false');
  // Closed: off screen, and nothing in it can take the focus.
  assert.equal(await page.getAttribute('[data-testid=sidebar-slot]', 'inert'), '');
  assert.equal(await page.locator('[data-testid=new-chat]').isVisible(), false);

  await button.click();
  await page.waitForSelector('[data-testid=sidebar-slot]:not([inert])');
  await page.waitForFunction(() => document.querySelector('[data-testid=sidebar]').getBoundingClientRect().left >= 0);
  assert.ok(await page.locator('[data-testid=new-chat]').isVisible());
  // The focus moved into the drawer, and the chat behind it is out of reach.
  assert.ok(await page.evaluate(() => document.querySelector('[data-testid=sidebar]').contains(document.activeElement)));
  assert.equal(await page.getAttribute('main', 'inert'), '');

  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=sidebar-slot][inert]', { state: 'attached' });
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'show-sidebar', 'the focus returns to the button');

  // Choosing a chat opens it and closes the drawer; a click beside the drawer closes it too.
  await button.click();
  await page.click('[data-testid=session] .session-open:has-text("first chat")');
  await waitForAnswerStatus(page, 'complete');
  await page.waitForSelector('[data-testid=sidebar-slot][inert]', { state: 'attached' });
  assert.match(await page.innerText('[data-testid=chat-title]'), /first chat/);
  await button.click();
  await page.waitForSelector('[data-testid=drawer-backdrop]');
  await page.mouse.click(590, 400);
  await page.waitForSelector('[data-testid=sidebar-slot][inert]', { state: 'attached' });

  assert.deepEqual(problems, []);
  await context.close();
});

test('600 px: every control of the chat, the drawer and the chat settings can be reached', async () => {
  const { page, context, problems } = await openApp(browser, server.url, { viewport: { width: 600, height: 700 } });
  await page.click('[data-testid=show-sidebar]');
  await page.click('[data-testid=session] .session-open:has-text("second chat")');
  await waitForAnswerStatus(page, 'complete');
  const unreachable = (list) => list.filter((c) => !c.inView || !c.onTop);

  const main = await reachability(page, 'main');
  assert.ok(main.length >= 8, `found the chat's controls (${main.map((c) => c.name).join(', ')})`);
  assert.deepEqual(unreachable(main), [], 'chat header, messages and composer');

  await page.click('[data-testid=show-sidebar]');
  await page.waitForFunction(() => document.querySelector('[data-testid=sidebar]').getBoundingClientRect().left >= 0);
  await page.hover('[data-testid=session] >> nth=0'); // the row's buttons show on hover and focus
  const drawer = await reachability(page, '[data-testid=sidebar]');
  assert.ok(drawer.some((c) => c.name === 'settings') && drawer.some((c) => c.name === 'new-chat'));
  assert.deepEqual(unreachable(drawer), [], 'the drawer');
  await page.keyboard.press('Escape');

  await page.click('[data-testid=chat-settings-button]');
  await page.waitForSelector('[data-testid=chat-settings][open]');
  const dialog = await reachability(page, '[data-testid=chat-settings]');
  assert.ok(dialog.some((c) => c.name === 'chat-settings-save'));
  assert.deepEqual(unreachable(dialog), [], 'the chat settings');

  // Nothing sticks out sideways.
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), 600);
  assert.deepEqual(problems, []);
  await context.close();
});

test('900 px: the sidebar folds away and comes back, and the choice is remembered', async () => {
  const { page, context, problems } = await openApp(browser, server.url, { viewport: { width: 900, height: 700 } });
  assert.ok(await page.locator('[data-testid=new-chat]').isVisible());
  assert.equal(await page.locator('[data-testid=show-sidebar]').count(), 0);
  await page.click('[data-testid=hide-sidebar]');
  await page.waitForSelector('[data-testid=show-sidebar]');
  assert.equal(await page.locator('[data-testid=new-chat]').isVisible(), false);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'show-sidebar');
  // The chat takes the whole width.
  const width = await page.evaluate(() => document.querySelector('main').getBoundingClientRect().width);
  assert.ok(width > 880, `main is ${width} px wide`);

  await page.reload();
  await page.waitForSelector('[data-testid=status][data-state=live]');
  assert.equal(await page.locator('[data-testid=new-chat]').isVisible(), false, 'still folded after a reload');
  // The keyboard brings it back.
  await page.keyboard.press('Control+Shift+S');
  await page.waitForSelector('[data-testid=new-chat]', { state: 'visible' });
  assert.equal(await page.locator('[data-testid=show-sidebar]').count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
});
