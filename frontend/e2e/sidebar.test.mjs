// The sidebar with the keyboard only: one Tab stop for the whole list,
// arrow keys within it, Enter opens, Right/Left reach a chat's buttons
// (named with its title), F2 renames, Delete asks first. With hundreds of
// chats only the rows in view are in the page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cleanupAll, launchBrowser, openApp, startServer, waitFor } from './helpers.mjs';

let server;
let browser;
const count = 300;

before(async () => {
  server = await startServer({ tps: 2000 });
  browser = await launchBrowser();
  for (let i = 0; i < count; i++) await server.api.createSession({ title: `Chat ${String(i).padStart(3, '0')}` });
});
after(cleanupAll);

const focused = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return { testid: el?.getAttribute('data-testid') ?? null, row: el?.closest('[data-row]')?.getAttribute('data-row') ?? null, label: el?.getAttribute('aria-label') ?? el?.textContent.trim() };
  });
const rowTitle = (page, id) => page.innerText(`[data-testid=session][data-id="${id}"] .session-title`);

test('keyboard only: one Tab stop, arrows, Home/End across a virtualised list, Enter opens, buttons by Right, F2 renames, Delete asks', async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  await page.waitForSelector('[data-testid=session]');
  // Only what is in view (plus a margin) is in the page.
  const rendered = await page.locator('[data-testid=session]').count();
  assert.ok(rendered > 5 && rendered < 60, `${rendered} rows rendered of ${count}`);

  // Tab from the search box lands on the list once; the next Tab leaves it.
  await page.keyboard.press('Control+k');
  await page.keyboard.press('Tab');
  const first = await focused(page);
  assert.ok(first.row, `a chat row has the focus (${JSON.stringify(first)})`);
  assert.equal(await rowTitle(page, first.row), 'Chat 299', 'the newest chat');
  await page.keyboard.press('Tab');
  assert.equal((await focused(page)).testid, 'archived-toggle', 'one Tab stop for the whole list');
  await page.keyboard.press('Shift+Tab');
  assert.equal((await focused(page)).row, first.row, 'Shift+Tab comes back to the same chat');

  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  const third = (await focused(page)).row;
  assert.equal(await rowTitle(page, third), 'Chat 297');
  await page.keyboard.press('ArrowUp');
  assert.equal(await rowTitle(page, (await focused(page)).row), 'Chat 298');

  // End goes to the last of what is loaded, far below: pages load as the list scrolls there.
  await page.keyboard.press('End');
  await waitFor(async () => (await focused(page)).row, { what: 'a focused row after End' });
  for (let i = 0; i < 4; i++) {
    await page.waitForTimeout(300);
    await page.keyboard.press('End');
  }
  await waitFor(async () => (await rowTitle(page, (await focused(page)).row)) === 'Chat 000', { what: 'the oldest chat focused', timeoutMs: 15_000 });
  assert.ok((await page.locator('[data-testid=session]').count()) < 60, 'still only the rows in view');
  await page.keyboard.press('Home');
  assert.equal(await rowTitle(page, (await focused(page)).row), 'Chat 299');

  // Enter opens the chat.
  await page.keyboard.press('ArrowDown');
  const target = (await focused(page)).row;
  await page.keyboard.press('Enter');
  await page.waitForSelector(`[data-testid=session][data-id="${target}"].active`);
  assert.equal(await page.innerText('[data-testid=chat-title]'), 'Chat 298');

  // Right reaches the row's buttons, each named with the chat's title; Left comes back.
  await page.locator(`[data-testid=session][data-id="${target}"] .session-open`).focus();
  const labels = [];
  for (let i = 0; i < 4; i++) {
    await page.keyboard.press('ArrowRight');
    labels.push((await focused(page)).label);
  }
  assert.deepEqual(labels, ['Pin “Chat 298”', 'Rename “Chat 298”', 'Archive “Chat 298”', 'Delete “Chat 298”']);
  for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowLeft');
  assert.equal((await focused(page)).testid, null);
  assert.equal((await focused(page)).row, target);

  // F2 renames in place; Enter keeps it and the focus comes back to the row.
  await page.keyboard.press('F2');
  await page.keyboard.type('Renamed by keyboard');
  await page.keyboard.press('Enter');
  await waitFor(async () => (await server.api.sessions()).find((s) => s.id === target)?.title === 'Renamed by keyboard', { what: 'the rename stored' });
  await waitFor(async () => (await focused(page)).row === target, { what: 'focus back on the row' });

  // Delete asks; Esc keeps the chat.
  await page.keyboard.press('Delete');
  await page.waitForSelector('[data-testid=confirm-dialog][open]');
  await page.keyboard.press('Escape');
  await page.waitForSelector('[data-testid=confirm-dialog]', { state: 'detached' });
  assert.ok((await server.api.sessions()).some((s) => s.id === target));

  // Pin from the keyboard: the chat moves up under “Pinned”, and the focus stays on the list.
  await page.locator(`[data-testid=session][data-id="${target}"] .session-open`).focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=chat-group][data-group="h:pinned"]');
  assert.equal(await page.getAttribute('[data-testid=session] >> nth=0', 'data-id'), target);
  assert.equal(await page.getAttribute(`[data-testid=session][data-id="${target}"] [data-testid=pin]`, 'aria-pressed'), 'true');

  assert.deepEqual(problems, []);
  await context.close();
});

test('archive and restore: the archived view lists it, Restore brings it back', async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  await page.waitForSelector('[data-testid=session]');
  const id = await page.getAttribute('[data-testid=session] >> nth=1', 'data-id');
  const title = await rowTitle(page, id);
  await page.hover(`[data-testid=session][data-id="${id}"]`);
  await page.click(`[data-testid=session][data-id="${id}"] [data-testid=archive]`);
  await page.waitForSelector(`[data-testid=session][data-id="${id}"]`, { state: 'detached' });
  assert.ok(!(await server.api.sessions()).some((s) => s.id === id), 'gone from the list');

  await page.click('[data-testid=archived-toggle]');
  await page.waitForSelector(`[data-testid=session][data-id="${id}"]`);
  assert.equal(await page.getAttribute(`[data-testid=session][data-id="${id}"] [data-testid=restore]`, 'aria-label'), `Restore “${title}”`);
  await page.click(`[data-testid=session][data-id="${id}"] [data-testid=restore]`);
  await page.waitForSelector(`[data-testid=session][data-id="${id}"]`, { state: 'detached' });
  await page.click('[data-testid=archived-toggle]');
  await page.waitForSelector(`[data-testid=session][data-id="${id}"]`);
  assert.ok((await server.api.sessions()).some((s) => s.id === id), 'back in the list');
  assert.deepEqual(problems, []);
  await context.close();
});
