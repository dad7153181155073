import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  cleanupAll,
  ensureResultsDir,
  launchBrowser,
  openApp,
  openSession,
  startServer,
  waitForAnswerStatus,
} from './helpers.mjs';

let server;
let browser;
const mainPrompt = 'How does Holdfast keep answers safe?';

before(async () => {
  server = await startServer({ tps: 2000 });
  browser = await launchBrowser();
  // A few chats for a realistic sidebar; the main one is created last (newest, on top).
  for (const prompt of ['什么是心跳检测？', 'Backoff with jitter, explained', mainPrompt]) {
    const s = await server.api.createSession();
    await server.api.send(s.id, prompt);
    await server.api.settled(s.id);
  }
});
after(cleanupAll);

const variants = [
  { theme: 'light', locale: 'en-US', lang: 'en', newChat: 'New chat', live: 'Live' },
  { theme: 'dark', locale: 'en-US', lang: 'en', newChat: 'New chat', live: 'Live' },
  { theme: 'light', locale: 'zh-CN', lang: 'zh', newChat: '新对话', live: '已连接' },
  { theme: 'dark', locale: 'zh-CN', lang: 'zh', newChat: '新对话', live: '已连接' },
];

test('screenshots of the main screen: light and dark, English and Chinese', async (t) => {
  const dir = ensureResultsDir('screenshots');
  const backgrounds = {};
  for (const v of variants) {
    const { page, context, problems } = await openApp(browser, server.url, { locale: v.locale, colorScheme: v.theme });
    await openSession(page, mainPrompt);
    await waitForAnswerStatus(page, 'complete');
    await page.waitForSelector('[data-testid=message][data-role=assistant] .code-block');
    await page.evaluate(() => document.fonts.ready);

    // Follows the system theme and the browser language without being told.
    assert.equal(await page.getAttribute('html', 'data-theme'), v.theme);
    assert.equal(await page.getAttribute('html', 'lang'), v.lang === 'zh' ? 'zh-CN' : 'en');
    assert.equal((await page.locator('[data-testid=new-chat]').innerText()).trim(), v.newChat);
    assert.equal((await page.locator('[data-testid=status] .status-text').innerText()).trim(), v.live);
    backgrounds[v.theme] = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);

    const file = path.join(dir, `main-${v.theme}-${v.lang}.png`);
    await page.screenshot({ path: file });
    assert.ok(statSync(file).size > 20_000, `${file} has content`);
    t.diagnostic(`wrote ${path.relative(process.cwd(), file)}`);
    assert.deepEqual(problems, []);
    await context.close();
  }
  assert.notEqual(backgrounds.light, backgrounds.dark);
});

test('the theme and language can be switched by hand and are remembered', async () => {
  const { page, context } = await openApp(browser, server.url, { locale: 'en-US', colorScheme: 'light' });
  await page.click('[data-testid=theme-toggle]');
  assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
  await page.click('[data-testid=settings]');
  // A choice in Settings shows at once; Close without saving takes it back.
  await page.locator('[data-testid=settings-dialog] label', { hasText: '简体中文' }).click();
  assert.equal((await page.locator('[data-testid=new-chat]').innerText()).trim(), '新对话');
  await page.keyboard.press('Escape');
  assert.equal((await page.locator('[data-testid=new-chat]').innerText()).trim(), 'New chat');
  // Saved, it is written to config.toml and stays.
  await page.click('[data-testid=settings]');
  await page.locator('[data-testid=settings-dialog] label', { hasText: '简体中文' }).click();
  await page.click('[data-testid=settings-save]');
  await page.waitForSelector('[data-testid=settings-saved]');
  assert.equal((await server.api.request('GET', '/api/config')).config.ui.language, 'zh');
  await page.click('[data-testid=settings-close]');
  await page.reload();
  await page.waitForSelector('[data-testid=status][data-state=live]');
  assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
  assert.equal((await page.locator('[data-testid=new-chat]').innerText()).trim(), '新对话');
  await context.close();
});
