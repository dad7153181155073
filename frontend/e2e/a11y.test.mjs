// What a newcomer and a screen-reader user meet first: readable small text
// and placeholders in both themes (contrast computed in the browser), the
// message list as a log that announces finished answers, the welcome
// screen, and the shortcut sheet.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cleanupAll, launchBrowser, openApp, sendFromUI, startServer, waitForAnswerStatus } from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ tps: 400 });
  browser = await launchBrowser();
  const s = await server.api.createSession();
  await server.api.send(s.id, '/echo an answer to look at');
  await server.api.settled(s.id);
});
after(cleanupAll);

/**
 * The WCAG contrast ratio of every piece of small or muted text on the
 * page, and of the placeholders, against the background it is drawn on.
 */
function contrasts(page) {
  return page.evaluate(() => {
    const parse = (c) => {
      const m = /rgba?\(([^)]+)\)/.exec(c) ?? /color\(srgb ([^)]+)\)/.exec(c);
      if (!m) return null;
      const parts = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      const scale = c.startsWith('color(') ? 255 : 1;
      return { r: parts[0] * scale, g: parts[1] * scale, b: parts[2] * scale, a: parts[3] ?? 1 };
    };
    const over = (top, under) => ({
      r: top.r * top.a + under.r * (1 - top.a),
      g: top.g * top.a + under.g * (1 - top.a),
      b: top.b * top.a + under.b * (1 - top.a),
      a: 1,
    });
    const background = (el) => {
      const layers = [];
      for (let a = el; a; a = a.parentElement) {
        const c = parse(getComputedStyle(a).backgroundColor);
        if (c && c.a > 0) layers.push(c);
        if (c && c.a >= 1) break;
      }
      let bg = { r: 255, g: 255, b: 255, a: 1 };
      for (const l of layers.reverse()) bg = over(l, bg);
      return bg;
    };
    const lum = ({ r, g, b }) => {
      const f = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const ratio = (fg, bg) => {
      const [x, y] = [lum(fg), lum(bg)];
      return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
    };
    const out = [];
    const texts = document.querySelectorAll('.muted, .small, .chat-group, .list-title, .msg-time, .model-tag, .hit-meta, .version-label, .status-text, .keys, .link');
    for (const el of texts) {
      const r = el.getBoundingClientRect();
      if (!r.width || !el.textContent.trim() || el.closest('[inert]')) continue;
      const bg = background(el);
      out.push({ what: `${el.className} “${el.textContent.trim().slice(0, 24)}”`, ratio: ratio(over(parse(getComputedStyle(el).color), bg), bg) });
    }
    for (const el of document.querySelectorAll('input[placeholder], textarea[placeholder]')) {
      if (!el.getBoundingClientRect().width || el.closest('[inert]')) continue;
      const bg = background(el);
      out.push({ what: `placeholder of ${el.dataset.testid}`, ratio: ratio(over(parse(getComputedStyle(el, '::placeholder').color), bg), bg) });
    }
    return out;
  });
}

for (const scheme of ['dark', 'light']) {
  test(`${scheme} mode: placeholders and small labels reach 4.5:1`, async () => {
    const { page, context, problems } = await openApp(browser, server.url, { colorScheme: scheme });
    const checked = [...(await contrasts(page))]; // the welcome screen
    await page.click('[data-testid=session] .session-open');
    await waitForAnswerStatus(page, 'complete');
    await page.hover('[data-testid=session].active');
    checked.push(...(await contrasts(page))); // a chat, the active row
    const whats = checked.map((c) => c.what).join('\n');
    for (const want of ['placeholder of composer', 'placeholder of search', 'chat-group', 'msg-time', 'keys']) assert.match(whats, new RegExp(want), `checked ${want}`);
    const low = checked.filter((c) => c.ratio < 4.5).map((c) => `${c.what}: ${c.ratio.toFixed(2)}`);
    assert.deepEqual(low, []);
    assert.deepEqual(problems, []);
    await context.close();
  });
}

test('the message list is a log; a finished answer is announced, its streaming is not', async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  await page.click('[data-testid=new-chat]');
  const log = page.locator('[data-testid=message-log]');
  assert.equal(await log.getAttribute('role'), 'log');
  assert.equal(await log.getAttribute('aria-live'), 'polite');
  const announcer = page.locator('[data-testid=announcer]');
  assert.equal(await announcer.getAttribute('aria-live'), 'polite');
  // Watch what the announcer says while the answer streams.
  await page.evaluate(() => {
    window.__said = [];
    const el = document.querySelector('[data-testid=announcer]');
    new MutationObserver(() => window.__said.push(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
  });
  await sendFromUI(page, '/echo The quick brown fox is done.');
  await waitForAnswerStatus(page, 'complete');
  await page.waitForFunction(() => document.querySelector('[data-testid=announcer]').textContent.includes('The quick brown fox is done.'));
  const said = (await page.evaluate(() => window.__said)).filter(Boolean);
  assert.deepEqual(said, ['Answer finished: The quick brown fox is done.'], 'one announcement, at the end');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the welcome screen: example prompts fill the composer, “Add a model” opens Settings', async () => {
  const { page, context, problems } = await openApp(browser, server.url, { locale: 'zh-CN' });
  await page.evaluate(() => window.holdfast.store.conversation.close());
  await page.waitForSelector('[data-testid=welcome]');
  const example = page.locator('[data-testid=example-prompt]').first();
  const text = (await example.innerText()).trim();
  assert.match(text, /[\u4e00-\u9fff]/, 'the examples speak the UI language');
  await example.click();
  assert.equal(await page.inputValue('[data-testid=composer]'), text);
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'composer');
  assert.match(await page.innerText('[data-testid=welcome-models]'), /演示模型/, 'says only the demo is there');
  await page.click('[data-testid=welcome-settings]');
  await page.waitForSelector('dialog.settings[open]');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the shortcut sheet opens with Ctrl+/ and from its button, and closes with Esc', async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  await page.click('[data-testid=composer]'); // from inside the composer too
  await page.keyboard.press('Control+/');
  await page.waitForSelector('[data-testid=shortcuts][open]');
  const sheet = await page.innerText('[data-testid=shortcuts]');
  for (const k of ['Ctrl+N', 'Ctrl+K', 'Ctrl+/', 'Shift+Enter', 'F2']) assert.ok(sheet.includes(k), `lists ${k}`);
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=shortcuts]', { state: 'detached' });
  await page.click('[data-testid=shortcuts-button]');
  await page.waitForSelector('[data-testid=shortcuts][open]');
  await page.keyboard.press('Control+/');
  await page.waitForSelector('[data-testid=shortcuts]', { state: 'detached' });
  assert.deepEqual(problems, []);
  await context.close();
});
