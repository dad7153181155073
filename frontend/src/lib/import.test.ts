import { describe, expect, it } from 'vitest';
import { chineseMessages, englishMessages, format, type MessageKey } from './i18n.svelte';
import { ImportClient, carriesFiles, dropIntent, droppedFile, fraction, progressText, summaryLines, type ImportStatus, type Lookup } from './import';

/** The texts of one language, as the UI's I18n gives them. */
function lookup(locale: 'en' | 'zh'): Lookup {
  const dict = locale === 'en' ? englishMessages : chineseMessages;
  return {
    locale,
    t: (k, vars) => format(dict[k], vars),
    has: (k: string): k is MessageKey => Object.hasOwn(dict, k),
  } as Lookup;
}
const en = lookup('en');
const zh = lookup('zh');

const status = (over: Partial<ImportStatus> = {}): ImportStatus => ({
  id: 'imp_1',
  name: 'conversations.json',
  state: 'running',
  progress: { total: 0, done: 0, imported: 0, skipped: 0 },
  summary: null,
  error: '',
  started_at: '2026-12-01T00:00:00Z',
  finished_at: null,
  ...over,
});

type Call = { url: string; init: RequestInit };

function fakeFetch(answers: Array<[number, unknown]>) {
  const calls: Call[] = [];
  const fn = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    const [code, body] = answers.shift() ?? [500, { error: { code: 'internal', message: 'no more answers' } }];
    return new Response(JSON.stringify(body), { status: code, headers: { 'Content-Type': 'application/json' } });
  }) as unknown as typeof fetch;
  return { fn, calls };
}

describe('ImportClient', () => {
  it('uploads the file as the body with the token, name and format', async () => {
    const f = fakeFetch([[202, { import: status() }]]);
    const creds = async () => ({ baseUrl: 'http://127.0.0.1:9/', token: 'tok' });
    const c = new ImportClient(creds, f.fn);
    const blob = new Blob(['[1,2]']);
    const s = await c.start(blob, 'my export.zip');
    expect(s.id).toBe('imp_1');
    expect(f.calls).toHaveLength(1);
    const { url, init } = f.calls[0];
    expect(url).toBe('http://127.0.0.1:9/api/imports?name=my+export.zip&format=auto');
    expect(init.method).toBe('POST');
    expect(init.body).toBe(blob);
    expect((init.headers as Record<string, string>).Authorization).toBe('Bearer tok');
  });

  it('asks for fresh credentials once after a 401, then gives the server error', async () => {
    const f = fakeFetch([
      [401, { error: { code: 'unauthorized', message: 'missing or wrong token' } }],
      [409, { error: { code: 'busy', message: 'another import is running' } }],
    ]);
    const fresh: boolean[] = [];
    const c = new ImportClient(async (isFresh) => {
      fresh.push(!!isFresh);
      return { baseUrl: 'http://h', token: isFresh ? 'new' : 'old' };
    }, f.fn);
    await expect(c.start(new Blob(['x']), 'a.json')).rejects.toMatchObject({ status: 409, code: 'busy' });
    expect(fresh).toEqual([false, true]);
    expect((f.calls[1].init.headers as Record<string, string>).Authorization).toBe('Bearer new');
  });

  it('follows a job until it ends, reporting every status', async () => {
    const done = status({
      state: 'done',
      progress: { total: 2, done: 2, imported: 2, skipped: 0 },
      summary: { format: 'chatgpt', dry_run: false, total: 2, imported: 2, messages: 9, duplicates: 0, failed: 0, skipped: [], notes: [], cancelled: false },
    });
    const f = fakeFetch([
      [200, { import: status({ progress: { total: 2, done: 0, imported: 0, skipped: 0 } }) }],
      [200, { import: status({ progress: { total: 2, done: 1, imported: 1, skipped: 0 } }) }],
      [200, { import: done }],
    ]);
    const c = new ImportClient(async () => ({ baseUrl: 'http://h', token: 't' }), f.fn);
    const seen: number[] = [];
    const slept: number[] = [];
    const last = await c.follow('imp_1', (s) => seen.push(s.progress.done), { sleep: async (ms) => void slept.push(ms) });
    expect(last.state).toBe('done');
    expect(seen).toEqual([0, 1, 2]);
    expect(slept).toEqual([250, 250]);
    expect(f.calls.map((c) => c.url)).toEqual(Array(3).fill('http://h/api/imports/imp_1'));
  });

  it('cancels by id', async () => {
    const f = fakeFetch([[202, { import: status() }]]);
    const c = new ImportClient(async () => ({ baseUrl: 'http://h', token: 't' }), f.fn);
    await c.cancel('imp_/x');
    expect(f.calls[0].url).toBe('http://h/api/imports/imp_%2Fx/cancel');
    expect(f.calls[0].init.method).toBe('POST');
  });
});

describe('progress and summary text', () => {
  it('says the file is being read before the count is known', () => {
    expect(fraction({ total: 0, done: 0, imported: 0, skipped: 0 })).toBeNull();
    expect(progressText(en, { total: 0, done: 0, imported: 0, skipped: 0 })).toBe('Reading the file…');
    expect(fraction({ total: 5000, done: 1250, imported: 1200, skipped: 50 })).toBe(0.25);
    expect(progressText(en, { total: 5000, done: 1250, imported: 1200, skipped: 50 })).toBe('1,250 of 5,000 chats');
  });

  it('summarises imported, duplicate and skipped chats with reasons', () => {
    const lines = summaryLines(
      en,
      status({
        state: 'done',
        summary: {
          format: 'chatgpt', dry_run: false, total: 6, imported: 3, messages: 1234, duplicates: 1, failed: 2, cancelled: false, notes: [],
          skipped: [{ index: 2, source_id: 'c3', title: 'Broken', reason: 'it has no "mapping"', duplicate: false }],
        },
      }),
    );
    expect(lines).toEqual([
      'Imported 3 chats (1,234 messages) of 6; 1 already imported; 2 skipped.',
      'Skipped “Broken”: it has no "mapping"',
      '… and 1 more skipped',
    ]);
  });

  it('says a cancelled import kept whole chats, and why a failed one failed', () => {
    const cancelled = summaryLines(
      en,
      status({
        state: 'cancelled',
        summary: { format: 'holdfast', dry_run: false, total: 10, imported: 1, messages: 2, duplicates: 0, failed: 0, skipped: null, notes: null, cancelled: true },
      }),
    );
    expect(cancelled[0]).toBe('Cancelled. Imported 1 chat (2 messages) of 10.');
    expect(cancelled.at(-1)).toContain('import the file again');
    expect(summaryLines(en, status({ state: 'failed', error: 'could not tell which app exported this file', error_code: 'unknown_format' }))).toEqual([
      'Import failed: could not tell which app exported this file',
    ]);
  });
});

describe('in Chinese', () => {
  it('shows progress and the summary in Chinese, files counted', () => {
    expect(progressText(zh, { total: 0, done: 0, imported: 0, skipped: 0 })).toBe('正在读取文件…');
    expect(progressText(zh, { total: 5000, done: 1250, imported: 1200, skipped: 50 })).toBe('1,250 / 5,000 个对话');
    const done = status({
      state: 'done',
      summary: {
        format: 'holdfast', dry_run: false, total: 3, imported: 1, messages: 5, files: 3, missing_files: 1, duplicates: 1, failed: 1, cancelled: false, notes: [],
        skipped: [{ index: 2, source_id: 's_x', title: 'Broken', reason: 'line 3: invalid JSON', duplicate: false }],
      },
    });
    expect(summaryLines(zh, done)).toEqual([
      '已导入 1 个对话（5 条消息），共 3 个；1 个之前已导入；跳过 1 个；3 个附件；1 个附件未找到（消息中保留了文件名）。',
      '已跳过 “Broken”：line 3: invalid JSON',
    ]);
    expect(summaryLines(en, done)[0]).toBe(
      'Imported 1 chat (5 messages) of 3; 1 already imported; 1 skipped; 3 attached files; 1 attached files not found (named in their messages).',
    );
  });

  it('translates a failed job by its code, keeping the server words in English', () => {
    const failed = (code: string) => summaryLines(zh, status({ state: 'failed', error: 'could not tell which app exported this file', error_code: code }))[0];
    expect(failed('unknown_format')).toBe(`导入失败：${chineseMessages['server.error.import_unknown_format']}`);
    expect(failed('unreadable')).toBe(`导入失败：${chineseMessages['server.error.import_unreadable']}`);
    expect(failed('storage_full')).toContain('磁盘已满');
    // A code this build does not know: the server's words, not nothing.
    expect(failed('brand_new')).toBe('导入失败：could not tell which app exported this file');
    expect(summaryLines(en, status({ state: 'failed', error: 'the zip is damaged', error_code: 'unreadable' }))).toEqual(['Import failed: the zip is damaged']);
  });

  it('has a Chinese text for every import text and import error code', () => {
    const keys = Object.keys(englishMessages).filter((k) => k.startsWith('import.') || k.startsWith('server.error.import_')) as MessageKey[];
    expect(keys.length).toBeGreaterThan(25);
    // The codes internal/importjob.ErrorCode gives a failed job.
    for (const code of ['unknown_format', 'unreadable', 'storage_busy', 'storage_full']) expect(keys).toContain(`server.error.import_${code}`);
    for (const k of keys) {
      const text = chineseMessages[k];
      expect(text, k).toBeTruthy();
      // Translated, not copied: every text but a quote holds Chinese.
      if (k !== 'import.quoted' && k !== 'import.progress') expect(text, k).toMatch(/[\u4e00-\u9fff]/);
    }
  });
});

describe('drops', () => {
  const dt = (types: string[], files: File[]) => ({ types, files }) as unknown as DataTransfer;
  it('only takes drags that carry files, one at a time', () => {
    expect(carriesFiles(dt(['text/plain'], []))).toBe(false);
    expect(carriesFiles(dt(['Files'], []))).toBe(true);
    expect(carriesFiles(null)).toBe(false);
    const f = new File(['{}'], 'a.json');
    expect(droppedFile(dt(['Files'], [f]))).toBe(f);
    expect(droppedFile(dt(['Files'], [f, f]))).toBe('import.dropMany');
    expect(droppedFile(dt(['Files'], []))).toBe('import.dropNone');
  });
});

describe('dropIntent: import or attach', () => {
  const onDrop = (...names: string[]) => ({ files: names.map((n) => new File(['x'], n)), items: [] }) as unknown as DataTransfer;
  const dragging = (...types: string[]) => ({ files: [], items: types.map((type) => ({ kind: 'file', type })) }) as unknown as DataTransfer;
  const el = (inComposer: boolean) => ({ closest: (sel: string) => (inComposer && sel === '[data-drop="attach"]' ? {} : null) }) as unknown as Element;
  it.each([
    ['one export dropped on the page', onDrop('conversations.json'), el(false), 'import'],
    ['a zip and a JSON Lines file', onDrop('export.ZIP'), el(false), 'import'],
    ['a JSON Lines file', onDrop('chats.jsonl'), el(false), 'import'],
    ['an export dropped on the composer', onDrop('conversations.json'), el(true), 'attach'],
    ['an image on the page', onDrop('cat.png'), el(false), 'attach'],
    ['two exports at once', onDrop('a.json', 'b.json'), el(false), 'attach'],
    ['a file dropped on the window itself', onDrop('a.json'), null, 'import'],
    ['dragging a JSON file over the page', dragging('application/json'), el(false), 'import'],
    ['dragging a file of no type', dragging(''), el(false), 'import'],
    ['dragging an image', dragging('image/png'), el(false), 'attach'],
    ['dragging two files', dragging('application/zip', 'application/zip'), el(false), 'attach'],
    ['dragging an export over the composer', dragging('application/json'), el(true), 'attach'],
  ] as const)('%s → %s', (_name, dt, target, want) => {
    expect(dropIntent(dt, target)).toBe(want);
  });
});
