import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { crc32 } from 'node:zlib';
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
  const bytes = typeof text === 'string' ? null : Buffer.from(text).toString('base64');
  await page.evaluate(
    ([name, text, bytes]) => {
      const dt = new DataTransfer();
      const body = bytes === null ? text : Uint8Array.from(atob(bytes), (c) => c.charCodeAt(0));
      dt.items.add(new File([body], name, { type: bytes === null ? 'application/json' : 'application/zip' }));
      for (const type of ['dragenter', 'dragover', 'drop']) {
        document.body.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
      }
    },
    [name, text, bytes],
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

// A 2×2 PNG (opaque red), small enough to write out here.
const tinyPNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9i18U1AAAAABJRU5ErkJggg==',
  'base64',
);

// A Holdfast JSON export of one chat whose question carries the PNG, as
// `holdfast export` writes it (keys in the writer's order), and its path.
function holdfastExport() {
  const id = createHash('sha256').update(tinyPNG).digest('hex');
  const at = '2025-01-02T03:04:05Z';
  const path = `chat files/${id.slice(0, 12)}-tiny.png`;
  const msg = (over) => ({
    id: '', session_id: 's_zh', parent_id: null, on_path: true, selected_child_id: null, role: 'user', content: '', status: 'complete',
    error: '', model: '', client_id: '', chunks: 0, usage: null, attachments: [], created_at: at, updated_at: at, ...over,
  });
  const doc = {
    format: 'holdfast.chat', format_version: 2, app_version: 'e2e',
    session: {
      id: 's_zh', title: '中文导入', title_source: 'user', model: 'demo/demo', system_prompt: '',
      settings: { temperature: null, top_p: null, max_tokens: null }, pinned: false, archived: false, current_leaf_id: 'm_zh2',
      created_at: at, updated_at: at, last_activity_at: at, message_count: 2,
    },
    messages: [
      msg({ id: 'm_zh1', content: '这是什么？', attachments: [{ id, name: 'tiny.png', size: tinyPNG.length, mime: 'image/png', kind: 'image', width: 2, height: 2, path }] }),
      msg({ id: 'm_zh2', parent_id: 'm_zh1', role: 'assistant', content: '一张很小的图片。', model: 'demo/demo' }),
    ],
  };
  return { json: JSON.stringify(doc, null, 2) + '\n', path };
}

// A zip of stored (uncompressed) members, enough for an export bundle.
function zipOf(files) {
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, data] of files) {
    const n = Buffer.from(name, 'utf8');
    const d = Buffer.from(data);
    const crc = crc32(d);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(d.length, 18);
    local.writeUInt32LE(d.length, 22);
    local.writeUInt16LE(n.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(d.length, 20);
    central.writeUInt32LE(d.length, 24);
    central.writeUInt16LE(n.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, n, d);
    centrals.push(central, n);
    offset += local.length + n.length + d.length;
  }
  const dir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dir, end]);
}

test('in the Chinese UI the drop hint, summary, file counts and errors are Chinese; a zipped Holdfast export brings its file', async () => {
  const { page, context, problems } = await openApp(browser, server.url, { locale: 'zh-CN' });
  // The drop hint while an export is dragged over the window.
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(['{}'], 'export.json', { type: 'application/json' }));
    for (const type of ['dragenter', 'dragover']) document.body.dispatchEvent(new DragEvent(type, { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  const hint = page.locator('[data-testid=import-drop]');
  await hint.waitFor({ timeout: 10_000 });
  assert.equal(await hint.innerText(), '拖放导出文件到这里以导入其中的对话');
  await page.evaluate(() => document.body.dispatchEvent(new DragEvent('dragleave', { dataTransfer: new DataTransfer(), bubbles: true })));

  // The plain JSON has no folder beside it: imported, the file named.
  const { json, path } = holdfastExport();
  await drop(page, 'chat.json', json);
  const summary = page.locator('[data-testid=import-summary]');
  await summary.waitFor({ timeout: 30_000 });
  assert.equal(await summary.innerText(), '已导入 1 个对话（2 条消息），共 1 个；1 个附件未找到（消息中保留了文件名）。');
  assert.equal(await page.locator('[data-testid=import-panel] header strong').innerText(), '导入：chat.json');
  assert.equal(await page.getAttribute('[data-testid=import-close]', 'aria-label'), '关闭');
  await page.click('[data-testid=import-close]');

  // Again, as a zip with its files folder: a duplicate (nothing added), said in Chinese.
  const zip = zipOf([['chat.json', json], [path, tinyPNG]]);
  await drop(page, 'chat.zip', zip);
  await summary.waitFor({ timeout: 30_000 });
  assert.equal(await summary.innerText(), '已导入 0 个对话（0 条消息），共 1 个；1 个之前已导入。');
  await page.click('[data-testid=import-close]');

  // Into a fresh app the zip brings the picture: shown on the question.
  const fresh = await startServer({ tps: 500 });
  const second = await openApp(browser, fresh.url, { locale: 'zh-CN' });
  await drop(second.page, 'chat.zip', zip);
  const summary2 = second.page.locator('[data-testid=import-summary]');
  await summary2.waitFor({ timeout: 30_000 });
  assert.equal(await summary2.innerText(), '已导入 1 个对话（2 条消息），共 1 个；1 个附件。');
  await second.page.locator('[data-testid=session]', { hasText: '中文导入' }).waitFor({ timeout: 15_000 });
  await openSession(second.page, '中文导入');
  const file = second.page.locator('[data-testid=message][data-role=user] [data-testid=message-file][data-kind=image]');
  await file.waitFor({ timeout: 15_000 });
  assert.deepEqual(second.problems, []);
  await second.context.close();

  // A file that is no export: the reason, by its code, in Chinese.
  await drop(page, 'notes.json', '{"hello": "world"}');
  await summary.waitFor({ timeout: 30_000 });
  assert.match(await summary.innerText(), /^导入失败：无法判断这个文件是哪个应用导出的。/);
  assert.deepEqual(problems, []);
  await context.close();
});
