// Conversations keep every version: Regenerate adds an answer beside the
// old one, Edit (of any user message) a new branch beside the old; ‹ n/m ›
// switches, also while an answer streams on the branch left behind.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, test } from 'node:test';
import {
  answerText,
  cleanupAll,
  launchBrowser,
  openApp,
  repeatedFragments,
  sendFromUI,
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

const activeSession = (page) => page.getAttribute('[data-testid=session].active', 'data-id');
const lastAnswer = (page) => page.locator('[data-testid=message][data-role=assistant]').last();
const versionOf = (loc) => loc.locator('[data-testid=version-label]').innerText();

test('switching versions while an answer streams: it keeps streaming on its branch and is whole when switched back', async () => {
  const { page } = app;
  const words = Array.from({ length: 90 }, (_, i) => `word${i}`).join(' ');
  await sendFromUI(page, `/echo ${words}`);
  await waitForAnswerStatus(page, 'complete', 60_000);
  const id = await activeSession(page);
  const [, first] = await server.api.messages(id);

  // Version 2 starts streaming.
  await lastAnswer(page).locator('[data-testid=regenerate]').click();
  await page.waitForSelector('[data-testid=message][data-role=assistant][data-status=streaming]');
  assert.equal(await versionOf(lastAnswer(page)), '2 / 2');
  await waitFor(async () => ((await answerText(page)) ?? '').length > 20, { what: 'some streamed text' });
  const second = await lastAnswer(page).getAttribute('data-id');
  assert.notEqual(second, first.id);

  // Back and forth while it streams.
  for (let i = 0; i < 3; i++) {
    await lastAnswer(page).locator('[data-testid=prev-version]').click();
    await page.waitForSelector(`[data-testid=message][data-id="${first.id}"][data-status=complete]`);
    assert.equal(await versionOf(lastAnswer(page)), '1 / 2');
    assert.equal(await answerText(page), words, 'the first version, whole');
    await page.waitForTimeout(400); // version 2 goes on meanwhile, out of sight
    await lastAnswer(page).locator('[data-testid=next-version]').click();
    await page.waitForSelector(`[data-testid=message][data-id="${second}"]`);
    assert.equal(await versionOf(lastAnswer(page)), '2 / 2');
  }
  const stored = await waitFor(async () => {
    const m = (await server.api.messages(id)).at(-1);
    return m.id === second && m.status === 'streaming' ? null : m;
  }, { what: 'version 2 to finish', timeoutMs: 60_000 });
  assert.equal(stored.status, 'complete');
  await page.waitForSelector(`[data-testid=message][data-id="${second}"][data-status=complete]`);
  const shown = await answerText(page);
  assert.equal(shown, stored.content, 'every chunk shown once, in order');
  assert.deepEqual(repeatedFragments(shown, 20), []);
  assert.equal(stored.content, words);
  // The server shows the branch the user left the chat on.
  assert.equal((await server.api.sessions()).find((s) => s.id === id).current_leaf_id, second);
});

test('editing an early message makes a new branch; the old one stays one ‹ away', async () => {
  const { page } = app;
  for (const t of ['one', 'two', 'three']) {
    await sendFromUI(page, `/echo ${t}`);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid=message][data-role=assistant][data-status=complete]').length === n, ['one', 'two', 'three'].indexOf(t) + 1, { timeout: 30_000 });
  }
  const id = await activeSession(page);
  assert.equal(await page.locator('[data-testid=message]').count(), 6);

  const firstUser = page.locator('[data-testid=message][data-role=user]').first();
  await firstUser.locator('[data-testid=edit]').click();
  await firstUser.locator('textarea').fill('/echo ONE, edited');
  await firstUser.locator('[data-testid=save-edit]').click();
  await waitFor(async () => (await server.api.messages(id)).some((m) => m.content === 'ONE, edited' && m.status === 'complete'), { what: 'the edited turn answered' });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=message]').length === 2);
  await waitForAnswerStatus(page, 'complete');
  assert.equal(await answerText(page), 'ONE, edited');
  const editedUser = page.locator('[data-testid=message][data-role=user]').first();
  assert.equal(await versionOf(editedUser), '2 / 2');
  assert.deepEqual((await server.api.messages(id)).map((m) => m.content), ['/echo ONE, edited', 'ONE, edited']);

  // The old branch, whole, one click away; and back.
  await editedUser.locator('[data-testid=prev-version]').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=message]').length === 6);
  const texts = await page.locator('[data-testid=message] [data-testid=message-text]').allInnerTexts();
  assert.deepEqual(texts.map((t) => t.trim()), ['/echo one', 'one', '/echo two', 'two', '/echo three', 'three']);
  assert.equal(await versionOf(page.locator('[data-testid=message][data-role=user]').first()), '1 / 2');
  assert.equal((await server.api.messages(id)).length, 6, 'the server shows the old branch too');
  const all = (await server.api.sessions()).find((s) => s.id === id);
  assert.equal(all.message_count, 8, 'nothing was deleted');

  // Editing a message in the middle works the same way.
  const secondUser = page.locator('[data-testid=message][data-role=user]').nth(1);
  await secondUser.locator('[data-testid=edit]').click();
  await secondUser.locator('textarea').fill('/echo TWO again');
  await secondUser.locator('textarea').press('Enter');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=message]').length === 4);
  await waitForAnswerStatus(page, 'complete');
  assert.equal(await answerText(page), 'TWO again');
  assert.equal(await versionOf(page.locator('[data-testid=message][data-role=user]').nth(1)), '2 / 2');
  assert.equal(await versionOf(page.locator('[data-testid=message][data-role=user]').first()), '1 / 2');
});
