// Search finds messages: results are messages with highlighted snippets,
// grouped by chat; choosing one opens the chat at that message (the page
// around it, on its branch), scrolls to it and highlights the words.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { seed } from './bench-history.mjs';
import { cleanupAll, launchBrowser, openApp, startServer, waitFor } from './helpers.mjs';

let server;
let browser;
let long; // a chat of 240 messages with the word at message 20
let branched; // a chat where the word is only on a branch that is not shown

before(async () => {
  server = await startServer({ tps: 5000 });
  browser = await launchBrowser();
  long = await server.api.createSession({ title: 'A long chat' });
  for (let i = 0; i < 120; i++) {
    const text = i === 10 ? 'we sailed to zanzibar <img src=x onerror="window.__pwned=1"> at dawn' : `ordinary message number ${i}`;
    await server.api.send(long.id, `/echo ${text}`);
  }
  await server.api.settled(long.id, 120_000);

  branched = await server.api.createSession({ title: 'A branched chat' });
  await server.api.send(branched.id, '/echo the word zanzibar on the old branch');
  const [user] = await server.api.settled(branched.id);
  await server.api.edit(user.id, '/echo a newer branch without the word');
  await server.api.settled(branched.id);
  const cjk = await server.api.createSession({ title: '中文' });
  await server.api.send(cjk.id, '/echo 我们把数据库迁移到了新服务器');
  await server.api.settled(cjk.id);
});
after(cleanupAll);

test('search → open → highlight: the hit loads in place far from the end, scrolled to and marked', async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  await page.fill('[data-testid=search]', 'zanzibar');
  await page.waitForSelector('[data-testid=hit-group]');
  const groups = await page.locator('[data-testid=hit-group]').evaluateAll((els) => els.map((e) => e.getAttribute('data-session')));
  assert.ok(groups.includes(long.id) && groups.includes(branched.id), 'hits grouped by chat');
  // Snippets: the word is a <mark>, the hostile markup is text.
  const group = page.locator(`[data-testid=hit-group][data-session="${long.id}"]`);
  const marks = await group.locator('mark').allInnerTexts();
  assert.ok(marks.length >= 2 && marks.every((m) => m.toLowerCase() === 'zanzibar'), `marks: ${marks}`);
  assert.equal(await page.locator('[data-testid=search-results] img').count(), 0);
  assert.match(await group.innerText(), /<img src=x onerror=/);
  assert.equal(await group.locator('h2').innerText(), 'A long chat');

  // The user's message (message 21 of 240) is the first hit of that chat? Take the user's one.
  const hits = await group.locator('[data-testid=hit]').evaluateAll((els) => els.map((e) => e.getAttribute('data-message')));
  const path = await server.api.messages(long.id);
  const at = path.findIndex((m) => m.role === 'user' && m.content.includes('zanzibar'));
  assert.equal(at, 20);
  const hitId = path[at].id;
  assert.ok(hits.includes(hitId));
  await page.click(`[data-testid=hit][data-message="${hitId}"]`);

  const target = page.locator(`[data-testid=message][data-id="${hitId}"]`);
  await target.waitFor();
  await page.waitForFunction((id) => document.querySelector(`[data-testid=message][data-id="${id}"]`)?.classList.contains('target'), hitId);
  const highlighted = await target.locator('mark.search-hit').allInnerTexts();
  assert.deepEqual(highlighted, ['zanzibar']);
  assert.equal(await target.locator('mark.search-hit').evaluate((m) => getComputedStyle(m).display), 'inline', 'marked in the line of text');
  // In view, not at the bottom of the chat, and only a page around it loaded.
  const box = await target.boundingBox();
  const viewport = page.viewportSize();
  assert.ok(box.y >= 0 && box.y + box.height <= viewport.height, `the hit is on screen (${JSON.stringify(box)})`);
  const loaded = await page.locator('[data-testid=message]').count();
  assert.ok(loaded < 240, `${loaded} messages loaded, not the whole chat`);
  assert.equal(await page.locator('[data-testid=load-newer]').count(), 1, 'the rest of the chat is a page away');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);

  // Scrolling down reaches the end of the chat.
  await page.click('[data-testid=jump-latest]');
  await waitFor(async () => (await page.locator('[data-testid=load-newer]').count()) === 0, { what: 'the end of the chat' });
  assert.equal(await page.getAttribute('[data-testid=message] >> nth=-1', 'data-id'), path.at(-1).id);
  assert.deepEqual(problems, []);
  await context.close();
});

test('a hit on a branch that is not shown opens that branch', async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  await page.fill('[data-testid=search]', 'zanzibar');
  const group = page.locator(`[data-testid=hit-group][data-session="${branched.id}"]`);
  await group.waitFor();
  const hit = group.locator('[data-testid=hit]').first();
  const hitId = await hit.getAttribute('data-message');
  await hit.click();
  const target = page.locator(`[data-testid=message][data-id="${hitId}"]`);
  await target.locator('mark.search-hit').first().waitFor();
  // The old branch is shown, its version switcher says so.
  const user = page.locator('[data-testid=message][data-role=user]').first();
  assert.equal(await user.locator('[data-testid=version-label]').innerText(), '1 / 2');
  assert.ok((await page.innerText('[data-testid=messages]')).includes('the word zanzibar on the old branch'));
  assert.equal((await server.api.sessions()).find((s) => s.id === branched.id).current_leaf_id, (await server.api.messages(branched.id)).at(-1).id);
  assert.deepEqual(problems, []);
  await context.close();
});

test('Chinese text is found inside a sentence; a query that is too long gets a clear answer', async () => {
  const { page, context, problems } = await openApp(browser, server.url, { locale: 'zh-CN' });
  await page.fill('[data-testid=search]', '数据库');
  await page.waitForSelector('[data-testid=hit] mark');
  assert.deepEqual(await page.locator('[data-testid=hit] mark').allInnerTexts(), ['数据库', '数据库']);
  await page.fill('[data-testid=search]', 'x'.repeat(300));
  await page.waitForSelector('[data-testid=search-refused]');
  assert.match(await page.innerText('[data-testid=search-refused]'), /200/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('very short words: a page that stopped at the server bound offers older messages, a slice at a time, then says nothing more matches', async () => {
  // 110,000 messages (scripts/seedhistory, the store's bulk loader): a
  // query of only short words reads 50,000 of them a page at most.
  const seeded = seed({ chats: 200, messages: 110_000 });
  const big = await startServer({ home: seeded.home, tps: 5000 });
  const recent = await big.api.createSession({ title: 'Recent' });
  await big.api.send(recent.id, '/echo qj is two letters');
  await big.api.settled(recent.id);
  const { page, context, problems } = await openApp(browser, big.url);
  await page.fill('[data-testid=search]', 'qj');
  // The newest messages hold a hit; the page stopped before it was full.
  await page.locator(`[data-testid=hit-group][data-session="${recent.id}"]`).waitFor();
  await page.waitForSelector('[data-testid=search-older]', { timeout: 30_000 });
  assert.equal(await page.locator('[data-testid=search-empty]').count(), 0);
  // Older: the next 50,000, then the last 10,000 and the end.
  await page.click('[data-testid=search-older]');
  await page.waitForSelector('[data-testid=search-older]', { timeout: 30_000 });
  await page.click('[data-testid=search-older]');
  await waitFor(async () => (await page.locator('[data-testid=search-partial]').count()) === 0, { timeoutMs: 30_000, what: 'the end of the messages' });
  assert.equal(await page.locator('[data-testid=hit-group]').count(), 1, 'the hit stays; nothing else matched');
  // A query with nothing in the newest slice does not claim "Nothing matches" yet.
  await page.fill('[data-testid=search]', 'zq');
  await page.waitForSelector('[data-testid=search-older]', { timeout: 30_000 });
  assert.equal(await page.locator('[data-testid=search-empty]').count(), 0);
  assert.deepEqual(problems, []);
  await context.close();
  await big.stop();
});
