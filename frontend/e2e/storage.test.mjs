// A storage fault caused for real: Debian's sqlite3 program holds the
// database's write lock (BEGIN IMMEDIATE) while an answer streams. The
// window names the cause in a banner, shows nothing that is not saved, and
// once the lock is let go the answer finishes with the screen equal to the
// stored text and the banner gone.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { answerText, cleanupAll, launchBrowser, openApp, sendFromUI, sleep, startServer, tempHome, waitFor, waitForAnswerStatus } from './helpers.mjs';

let server;
let browser;

before(async () => {
  server = await startServer({ tps: 40 });
  browser = await launchBrowser();
});
after(cleanupAll);

/** Starts `sqlite3` on db and waits until it holds the write lock; returns release(). */
async function holdWriteLock(db) {
  const marker = path.join(tempHome('holdfast-lock-'), 'locked');
  const proc = spawn('sqlite3', ['-batch', db], { stdio: ['pipe', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  // The marker is made only once BEGIN IMMEDIATE has returned: the lock is held.
  proc.stdin.write(`.timeout 30000\nBEGIN IMMEDIATE;\n.system touch '${marker}'\n`);
  await waitFor(() => existsSync(marker) || (proc.exitCode !== null && Promise.reject(new Error(`sqlite3 exited: ${stderr}`))), {
    timeoutMs: 30_000,
    what: 'sqlite3 to hold the write lock',
  });
  return async () => {
    proc.stdin.end('ROLLBACK;\n.quit\n');
    await exited;
    assert.equal(stderr, '', 'sqlite3 reported an error');
  };
}

const flat = (s) => (s ?? '').replace(/\s+/g, ' ').trim();

test('another program holding the database: a banner names it, nothing unsaved is shown, the answer finishes after', async () => {
  const { page, context, problems } = await openApp(browser, server.url);
  const words = Array.from({ length: 600 }, (_, i) => `word${i}`).join(' ');
  await sendFromUI(page, `/echo ${words}`);
  await waitFor(async () => (await answerText(page))?.length > 30, { what: 'the answer to start streaming' });

  const release = await holdWriteLock(path.join(server.home, 'holdfast.db'));
  let released = false;
  try {
    // The first chunk that cannot be committed waits out the busy timeout,
    // then the fault is announced.
    const banner = page.locator('[data-testid=storage-banner][data-state=busy]');
    await banner.waitFor({ timeout: 30_000 });
    assert.match(await banner.innerText(), /Another program is holding the database/);
    const health = await server.api.request('GET', '/api/health');
    assert.equal(health.storage.state, 'busy');

    // Nothing is shown before it is committed: the screen stands still at
    // exactly the stored text (reads go on under the write lock).
    const [session] = await server.api.sessions();
    const shown = await answerText(page);
    await sleep(1500);
    assert.equal(await answerText(page), shown, 'the answer grew while nothing could be saved');
    const stored = (await server.api.messages(session.id)).at(-1);
    assert.equal(stored.status, 'streaming');
    assert.equal(flat(shown), flat(stored.content));
    assert.ok(stored.content.length < words.length, 'the answer was still being written when the lock was taken');

    await release();
    released = true;
    await banner.waitFor({ state: 'detached', timeout: 30_000 });
    await waitForAnswerStatus(page, 'complete', 60_000);
    const done = (await server.api.settled(session.id)).at(-1);
    assert.equal(done.status, 'complete');
    assert.equal(done.content, words);
    assert.equal(flat(await answerText(page)), flat(done.content));
    assert.equal((await server.api.request('GET', '/api/health')).storage.state, 'ok');
  } finally {
    if (!released) await release().catch(() => {});
  }
  assert.deepEqual(problems, []);
  await context.close();
});
