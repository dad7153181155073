// Titles, times and a chat's own settings: a generated title arrives live,
// every message shows when it was written, the settings panel in the chat
// header saves the model, system prompt and parameters with the chat, and
// the Chinese UI translates what the server says by its codes.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cleanupAll, launchBrowser, openApp, sendFromUI, startServer, waitFor, waitForAnswerStatus } from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ tps: 400 });
  browser = await launchBrowser();
});
after(cleanupAll);

const activeId = (page) => page.getAttribute('[data-testid=session].active', 'data-id');

test('a generated title replaces the first words live, in the sidebar and the header', async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  await page.click('[data-testid=new-chat]');
  await sendFromUI(page, '/echo Plans for our weekend trip to the coast and back');
  const id = await waitFor(() => activeId(page), { what: 'the new chat in the sidebar' });
  await waitForAnswerStatus(page, 'complete');
  // First the first line (“… and back”), then the demo model’s title: its first eight words.
  await page.waitForSelector(`[data-testid=session][data-id="${id}"] .session-title:text-is("Plans for our weekend trip to the coast")`);
  assert.equal(await page.innerText('[data-testid=chat-title]'), 'Plans for our weekend trip to the coast');
  const stored = (await server.api.sessions()).find((s) => s.id === id);
  assert.equal(stored.title_source, 'generated');
  assert.deepEqual(problems, []);
  await context.close();
});

test('the chat settings panel saves model, system prompt and parameters with the chat; empty means the provider default', async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  await page.click('[data-testid=new-chat]');
  await sendFromUI(page, '/echo settings please');
  await waitForAnswerStatus(page, 'complete');
  const id = await activeId(page);

  await page.click('[data-testid=chat-settings-button]');
  await page.waitForSelector('[data-testid=chat-settings][open]');
  assert.equal(await page.inputValue('[data-testid=param-temperature]'), '');
  assert.equal(await page.getAttribute('[data-testid=param-temperature]', 'placeholder'), 'Provider default');
  await page.fill('[data-testid=system-prompt]', 'Answer briefly.');
  await page.fill('[data-testid=param-temperature]', '3');
  await page.fill('[data-testid=param-top_p]', '0.9');
  await page.click('[data-testid=chat-settings-save]');
  // Out of range: said next to the field, nothing saved.
  assert.match(await page.innerText('[data-testid=param-problem]'), /between 0 and 2/);
  assert.equal((await server.api.sessions()).find((s) => s.id === id).temperature, null);
  await page.fill('[data-testid=param-temperature]', '0.3');
  await page.click('[data-testid=chat-settings-save]');
  await page.waitForSelector('[data-testid=chat-settings]', { state: 'detached' });
  let s = await waitFor(async () => {
    const x = (await server.api.sessions()).find((v) => v.id === id);
    return x.temperature === 0.3 ? x : null;
  }, { what: 'the settings stored' });
  assert.deepEqual([s.system_prompt, s.temperature, s.top_p, s.max_tokens], ['Answer briefly.', 0.3, 0.9, null]);

  // Opened again, it shows them; clearing a field goes back to the default.
  await page.click('[data-testid=chat-settings-button]');
  assert.equal(await page.inputValue('[data-testid=param-temperature]'), '0.3');
  assert.equal(await page.inputValue('[data-testid=system-prompt]'), 'Answer briefly.');
  await page.fill('[data-testid=param-temperature]', '');
  await page.fill('[data-testid=param-max_tokens]', '256');
  await page.click('[data-testid=chat-settings-save]');
  await page.waitForSelector('[data-testid=chat-settings]', { state: 'detached' });
  s = await waitFor(async () => {
    const x = (await server.api.sessions()).find((v) => v.id === id);
    return x.max_tokens === 256 ? x : null;
  }, { what: 'the second save' });
  assert.deepEqual([s.temperature, s.top_p, s.max_tokens], [null, 0.9, 256]);
  assert.deepEqual(problems, []);
  await context.close();
});

test('Chinese UI: message times with the full date on hover, and server texts translated by code', async () => {
  const s = await server.api.createSession();
  await server.api.send(s.id, '/echo 你好');
  await server.api.settled(s.id);
  const { page, context, problems } = await openApp(browser, server.url, { locale: 'zh-CN' });
  await page.click(`[data-testid=session][data-id="${s.id}"] .session-open`);
  await waitForAnswerStatus(page, 'complete');
  const time = page.locator('[data-testid=message-time]').first();
  assert.match(await time.innerText(), /^\d{2}:\d{2}$/, 'today: the time of day');
  assert.match(await time.getAttribute('title'), /^\d{4}年\d{1,2}月\d{1,2}日星期.\s*\d{1,2}:\d{2}:\d{2}$/);
  assert.ok(Date.parse(await time.getAttribute('datetime')) > 0);

  // The server's "New chat" title, in Chinese.
  await page.click('[data-testid=new-chat]');
  const fresh = await waitFor(
    async () => {
      const id = await page.getAttribute('[data-testid=session].active', 'data-id');
      return id && id !== s.id ? id : null; // not the chat open before the click
    },
    { what: 'a new chat' },
  );
  assert.equal((await server.api.sessions()).find((x) => x.id === fresh).title, 'New chat');
  assert.equal(await page.innerText(`[data-testid=session][data-id="${fresh}"] .session-title`), '新对话');
  assert.equal(await page.innerText('[data-testid=chat-title]'), '新对话');
  // An error code: a search the server refuses.
  await page.fill('[data-testid=search]', 'y'.repeat(250));
  await page.waitForSelector('[data-testid=search-refused]');
  assert.equal(await page.innerText('[data-testid=search-refused]'), '搜索内容太长（最多 200 个字符）。');
  assert.deepEqual(problems, []);
  await context.close();
});
