import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cleanupAll, launchBrowser, openApp, openSession, sleep, startServer } from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ tps: 500 });
  browser = await launchBrowser();
});
after(cleanupAll);

const xss = [
  '<img src=x onerror="window.__xss=(window.__xss||0)+1">',
  '<script>window.__xss=(window.__xss||0)+1</script>',
  '<svg onload="window.__xss=(window.__xss||0)+1"><circle r="3"/></svg>',
  '<a href="javascript:window.__xss=1" id="jslink">click me</a>',
].join(' ');

// A ChatGPT data export (conversations.json) with one conversation whose
// question and answer carry script, written by hand like the Go fixtures.
function chatgptExport() {
  const node = (id, parent, children, role, text, t) => ({
    id,
    parent,
    children,
    message: {
      id,
      author: { role },
      create_time: t,
      content: { content_type: 'text', parts: [text] },
      status: 'finished_successfully',
      metadata: role === 'assistant' ? { model_slug: 'gpt-4o' } : {},
      recipient: 'all',
    },
  });
  return JSON.stringify([
    {
      id: 'conv-e2e-1',
      title: 'Imported <b>bold</b> chat',
      create_time: 1700000000,
      update_time: 1700000100,
      current_node: 'a1',
      mapping: {
        root: { id: 'root', message: null, parent: null, children: ['u1'] },
        u1: node('u1', 'root', ['a1'], 'user', `Question with ${xss}`, 1700000001),
        a1: node('a1', 'u1', [], 'assistant', `Answer with ${xss} and the word marmalade`, 1700000002),
      },
    },
  ]);
}

async function drop(page, name, text) {
  await page.evaluate(
    ([name, text]) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], name, { type: 'application/json' }));
      for (const type of ['dragenter', 'dragover', 'drop']) {
        document.body.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
      }
    },
    [name, text],
  );
}

test('a dropped ChatGPT export is imported, listed, and its HTML stays inert', async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  await drop(page, 'conversations.json', chatgptExport());
  const summary = page.locator('[data-testid=import-summary]');
  await summary.waitFor({ timeout: 30_000 });
  assert.match(await summary.innerText(), /Imported 1 chat \(2 messages\) of 1\./);

  // The chat arrived in the sidebar over the stream, title shown as text.
  const entry = page.locator('[data-testid=session]', { hasText: 'Imported <b>bold</b> chat' });
  await entry.waitFor({ timeout: 15_000 });
  await openSession(page, 'Imported <b>bold</b> chat');
  const answer = page.locator('[data-testid=message][data-role=assistant] [data-testid=message-text]').last();
  await answer.locator('text=marmalade').waitFor({ timeout: 15_000 });
  await sleep(500); // give any handler (image error, svg load) the chance to fire
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'no imported code ran');
  const messages = page.locator('[data-testid=message]');
  assert.equal(await messages.locator('script, iframe, form, object, embed').count(), 0);
  const handlers = await page.evaluate(() =>
    [...document.querySelectorAll('[data-testid=message] *')].flatMap((el) =>
      el.getAttributeNames().filter((a) => a.startsWith('on')).map((a) => `${el.tagName}[${a}]`),
    ),
  );
  assert.deepEqual(handlers, []);
  await answer.locator('text=click me').click();
  await sleep(200);
  assert.equal(await page.evaluate(() => window.__xss), undefined);

  // The same file again adds nothing, and says so.
  await page.click('[data-testid=import-close]');
  await drop(page, 'conversations.json', chatgptExport());
  await summary.waitFor({ timeout: 30_000 });
  assert.match(await summary.innerText(), /Imported 0 chats .*1 already imported/);
  assert.equal((await server.api.sessions()).length, 1);

  // A file that is no export fails with the reason, and nothing is added.
  await page.click('[data-testid=import-close]');
  await drop(page, 'notes.json', '{"hello": "world"}');
  await summary.waitFor({ timeout: 30_000 });
  assert.match(await summary.innerText(), /Import failed: could not tell which app exported this file/);
  assert.deepEqual(problems, []);
  await context.close();
});

// A big export, generated here: n conversations of a question and an answer.
function bigExport(n) {
  const parts = [];
  for (let c = 0; c < n; c++) {
    const t = 1700000000 + c * 60;
    parts.push(
      JSON.stringify({
        id: `big-${c}`,
        title: `Big ${c}`,
        create_time: t,
        current_node: `a${c}`,
        mapping: {
          [`r${c}`]: { id: `r${c}`, message: null, parent: null, children: [`u${c}`] },
          [`u${c}`]: { id: `u${c}`, parent: `r${c}`, children: [`a${c}`], message: { id: `u${c}`, author: { role: 'user' }, create_time: t + 1, content: { content_type: 'text', parts: [`question ${c} `.repeat(20)] } } },
          [`a${c}`]: { id: `a${c}`, parent: `u${c}`, children: [], message: { id: `a${c}`, author: { role: 'assistant' }, create_time: t + 2, content: { content_type: 'text', parts: [`answer ${c} `.repeat(80)] } } },
        },
      }),
    );
  }
  return `[${parts.join(',\n')}]`;
}

test('Cancel stops a running import after whole chats; the chat keeps working', async () => {
  const s = await startServer({ tps: 500 });
  const { page, context, problems } = await openApp(browser, s.url);
  const total = 20000;
  await drop(page, 'big.json', bigExport(total));
  const cancel = page.locator('[data-testid=import-cancel]');
  await cancel.waitFor({ timeout: 30_000 });
  // The page stays live while the import writes.
  await page.locator('[data-testid=status][data-state=live]').waitFor();
  await page.locator('[data-testid=import-progress-text]').filter({ hasText: /of 20,000 chats/ }).waitFor({ timeout: 30_000 });
  await cancel.click();
  const summary = page.locator('[data-testid=import-summary]');
  await summary.waitFor({ timeout: 60_000 });
  const text = await summary.innerText();
  assert.match(text, /^Cancelled\. Imported [\d,]+ chats? /);
  assert.match(text, /import the file again/);
  const imported = Number(/Imported ([\d,]+) chat/.exec(text)[1].replace(/,/g, ''));
  assert.ok(imported < total, `${imported} of ${total} imported`);
  // Every chat stored is whole: a question and its answer.
  const sessions = await s.api.sessions();
  for (const sess of sessions) assert.equal(sess.message_count, 2, `chat ${sess.title}`);
  assert.deepEqual(problems, []);
  await context.close();
});
