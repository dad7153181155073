import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import {
  answerText,
  cleanupAll,
  launchBrowser,
  openApp,
  openSession,
  sendFromUI,
  sleep,
  startServer,
  waitFor,
  waitForAnswerStatus,
} from './helpers.mjs';

let server;
let browser;
let app;

before(async () => {
  server = await startServer({ tps: 40 });
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

const activeSession = async (page) => {
  const id = await page.getAttribute('[data-testid=session].active', 'data-id');
  assert.ok(id);
  return id;
};

test('Esc stops an answer; Continue finishes it exactly as an uninterrupted one', async () => {
  const { page } = app;
  const prompt = 'Continue me please';
  await sendFromUI(page, prompt);
  await waitFor(async () => ((await answerText(page)) ?? '').length > 60, { what: 'some text' });
  await page.keyboard.press('Escape');
  await waitForAnswerStatus(page, 'stopped');
  const id = await activeSession(page);
  assert.equal((await server.api.messages(id)).at(-1).status, 'stopped');

  await page.click('[data-testid=message][data-role=assistant] >> nth=-1 >> [data-testid=continue]');
  await waitForAnswerStatus(page, 'complete', 30_000);
  const continued = await answerText(page);

  // Reference from the API: the same prompt, never stopped.
  const ref = await server.api.createSession();
  await server.api.send(ref.id, prompt);
  const [, answer] = await server.api.settled(ref.id);
  assert.equal((await server.api.messages(id)).at(-1).content, answer.content);
  assert.ok(continued.length > 100);
});

test('Regenerate adds a version of the answer; Edit & resend adds a version of the turn', async () => {
  const { page } = app;
  await sendFromUI(page, '/echo first answer');
  await waitForAnswerStatus(page, 'complete');
  const id = await activeSession(page);
  const before = (await server.api.messages(id)).at(-1);

  await page.click('[data-testid=message][data-role=assistant] >> nth=-1 >> [data-testid=regenerate]');
  await waitFor(async () => (await server.api.messages(id)).at(-1).id !== before.id, { what: 'a new answer' });
  // Wait for the new answer itself: the old one is "complete" too until the page drops it.
  const afterRegen = await server.api.settled(id);
  await page.waitForSelector(`[data-testid=message][data-id="${afterRegen[1].id}"][data-status=complete]`);
  assert.equal(afterRegen.length, 2);
  assert.equal(afterRegen[1].content, 'first answer');
  assert.equal(await page.locator('[data-testid=message]').count(), 2);
  assert.equal(await page.innerText('[data-testid=message][data-role=assistant] [data-testid=version-label]'), '2 / 2');

  await page.click('[data-testid=message][data-role=user] >> nth=-1 >> [data-testid=edit]');
  await page.fill('[data-testid=message][data-role=user] textarea', '/echo edited answer');
  await page.click('[data-testid=save-edit]');
  await waitFor(async () => (await server.api.messages(id)).some((m) => m.content === 'edited answer' && m.status === 'complete'), {
    what: 'the edited turn',
  });
  const edited = await server.api.messages(id);
  assert.deepEqual(edited.map((m) => m.content), ['/echo edited answer', 'edited answer']);
  await page.waitForSelector(`[data-testid=message][data-id="${edited[1].id}"][data-status=complete]`);
  assert.equal(await answerText(page), 'edited answer');
  assert.equal(await page.locator('[data-testid=message]').count(), 2);
  assert.equal(await page.innerText('[data-testid=message][data-role=user] [data-testid=version-label]'), '2 / 2');
});

test('rename, search by title and content, and delete with confirmation', async () => {
  const { page } = app;
  await sendFromUI(page, '/echo the quick zebra jumps');
  await waitForAnswerStatus(page, 'complete');
  const id = await activeSession(page);

  // Rename inline.
  await page.click(`[data-testid=session][data-id="${id}"] [data-testid=rename]`);
  await page.fill(`[data-testid=session][data-id="${id}"] input.rename`, 'Zoo notes');
  await page.keyboard.press('Enter');
  await waitFor(async () => (await server.api.sessions()).find((s) => s.id === id)?.title === 'Zoo notes', { what: 'rename stored' });
  await page.waitForSelector('[data-testid=chat-title]:has-text("Zoo notes")');

  // Ctrl+K focuses search; messages match, grouped under their chat.
  await page.keyboard.press('Control+k');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'search');
  await page.keyboard.type('zebra');
  await page.waitForSelector(`[data-testid=hit-group][data-session="${id}"]`);
  assert.equal(await page.locator('[data-testid=hit-group]').count(), 1);
  assert.equal(await page.innerText(`[data-testid=hit-group][data-session="${id}"] h2`), 'Zoo notes');
  // The results for the whole word replace those for a half-typed one
  // ('zebr' also matches, and may be on screen first on a slow machine).
  await waitFor(async () => JSON.stringify(await page.locator('[data-testid=hit] mark').allInnerTexts()) === '["zebra","zebra"]', {
    what: "both hits with 'zebra' highlighted",
  });
  await page.fill('[data-testid=search]', 'no-such-words-anywhere');
  await page.waitForSelector('[data-testid=search-empty] >> text=Nothing matches');
  await page.fill('[data-testid=search]', '');
  await page.waitForSelector(`[data-testid=session][data-id="${id}"]`);
  assert.equal(await page.locator('[data-testid=search-results]').count(), 0);

  // Delete asks first; Cancel keeps the chat.
  await page.click(`[data-testid=session][data-id="${id}"] [data-testid=delete]`);
  await page.click('[data-testid=confirm-dialog] >> text=Cancel');
  assert.ok((await server.api.sessions()).some((s) => s.id === id));
  await page.click(`[data-testid=session][data-id="${id}"] [data-testid=delete]`);
  await page.click('[data-testid=confirm]');
  await waitFor(async () => !(await server.api.sessions()).some((s) => s.id === id), { what: 'deleted on the server' });
  await page.waitForSelector(`[data-testid=session][data-id="${id}"]`, { state: 'detached' });
  await page.waitForSelector('[data-testid=welcome]');
});

test('pausing the live view holds text back while the server keeps writing; resume shows all of it', async () => {
  const { page } = app;
  await sendFromUI(page, 'Pause and resume');
  await waitFor(async () => ((await answerText(page)) ?? '').length > 30, { what: 'some text' });
  const id = await activeSession(page);
  await page.click('[data-testid=pause-live]');
  await page.waitForSelector('[data-testid=paused-banner]');
  await sleep(300); // events already in flight may still land
  const frozen = await answerText(page);
  await sleep(1500);
  assert.equal(await answerText(page), frozen, 'the view did not move while paused');
  const stored = (await server.api.messages(id)).at(-1);
  assert.ok(stored.content.length > frozen.length, 'the server kept generating');

  await page.click('[data-testid=resume-live]');
  await waitForAnswerStatus(page, 'complete', 30_000);
  const final = (await server.api.messages(id)).at(-1);
  assert.equal(final.status, 'complete');
  // Every held-back delta arrived exactly once: the text matches a fresh render.
  const shown = await answerText(page);
  await page.reload();
  await page.waitForSelector('[data-testid=status][data-state=live]');
  await openSession(page, 'Pause and resume');
  await waitForAnswerStatus(page, 'complete');
  assert.equal(await answerText(page), shown);
});

test('the model picker lists the server’s models, demo labelled', async () => {
  const { page } = app;
  const options = await page.locator('[data-testid=model-picker] option').allInnerTexts();
  assert.deepEqual(options, ['Demo (offline)']);
  assert.equal(await page.inputValue('[data-testid=model-picker]'), 'demo/demo');
  assert.ok(await page.locator('[data-testid=empty-chat] .note').isVisible(), 'first-run note explains the demo model');
});

test('keyboard: Shift+Enter adds a line, Enter sends, Ctrl+N starts a new chat', async () => {
  const { page } = app;
  await page.click('[data-testid=composer]');
  await page.keyboard.type('/echo line one');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('line two');
  assert.equal(await page.inputValue('[data-testid=composer]'), '/echo line one\nline two');
  await page.keyboard.press('Enter');
  await waitForAnswerStatus(page, 'complete');
  assert.equal(await page.inputValue('[data-testid=composer]'), '');
  const first = await activeSession(page);
  const [user] = await server.api.messages(first);
  assert.equal(user.content, '/echo line one\nline two');
  assert.equal(await page.locator('[data-testid=message][data-role=user] .plain').innerText(), '/echo line one\nline two');

  await page.keyboard.press('Control+n');
  await page.waitForSelector('[data-testid=empty-chat]');
  const second = await activeSession(page);
  assert.notEqual(second, first);
  // A second Ctrl+N on the still-empty chat does not pile up empty chats.
  const count = (await server.api.sessions()).length;
  await page.keyboard.press('Control+n');
  await sleep(300);
  assert.equal((await server.api.sessions()).length, count);
  assert.equal(await activeSession(page), second);
});

test('a long pasted prompt is shown collapsed and expands on request', async () => {
  const { page } = app;
  const long = `/echo ${'lorem ipsum '.repeat(250)}END`;
  await page.fill('[data-testid=composer]', long);
  await page.press('[data-testid=composer]', 'Enter');
  await waitForAnswerStatus(page, 'complete');
  const bubble = page.locator('[data-testid=message][data-role=user]').last();
  const shown = await bubble.locator('.plain').innerText();
  assert.ok(shown.length < long.length && !shown.includes('END'));
  await bubble.locator('[data-testid=expand]').click();
  assert.equal(await bubble.locator('.plain').innerText(), long);
  // Collapsing is only a view: the whole prompt was sent and echoed.
  assert.ok((await answerText(page)).endsWith('END'));
});
