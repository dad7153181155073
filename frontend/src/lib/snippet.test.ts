// @vitest-environment jsdom
import { flushSync, mount, unmount } from 'svelte';
import { describe, expect, it } from 'vitest';
import Snippet from '../components/Snippet.svelte';
import { cleanSegments, clearHighlights, highlightTerms, markedTerms, queryTerms, renderSnippet } from './snippet';

const seg = (text: string, match = false) => ({ text, match });
/** Snippets a hostile model or user could make the server send back. */
const hostile: unknown[][] = [
  [seg('<img src=x onerror="window.__pwned=1">')],
  [seg('before '), seg('<script>window.__pwned=2</script>', true)],
  [seg('a '), seg('<b onclick=alert(1)>bold</b>', true), seg(' &lt;i&gt; &amp; </mark><mark>')],
  [seg('"><svg onload=alert(1)>', true), seg('<iframe srcdoc="<script>parent.__pwned=3</script>">')],
  // Not even segments: must not throw, must not render markup.
  [{ text: { toString: () => '<img src=x onerror=alert(1)>' }, match: true }, { html: '<b>x</b>' }, null, 7, seg('<u>kept as text</u>')],
];
const plain = (segs: unknown[]) => cleanSegments(segs).map((s) => s.text).join('');

describe('cleanSegments', () => {
  it('keeps text segments, joins neighbours of a kind, drops everything else', () => {
    expect(cleanSegments([seg('the '), seg('quick', true), seg(' fox'), seg(' jumps'), seg(''), { text: 'x', match: 'yes' }])).toEqual([
      seg('the '),
      seg('quick', true),
      seg(' fox jumpsx'),
    ]);
    expect(cleanSegments(null)).toEqual([]);
    expect(cleanSegments('a string')).toEqual([]);
  });
});

describe('snippet rendering', () => {
  it.each(hostile.map((h) => [JSON.stringify(h).slice(0, 60), h] as const))('a hostile snippet stays text (DOM builder): %s', (_name, s) => {
    const div = document.createElement('div');
    renderSnippet(div, s);
    expect([...div.querySelectorAll('*')].every((el) => el.tagName === 'MARK')).toBe(true);
    expect(div.textContent).toBe(plain(s));
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it.each(hostile.map((h) => [JSON.stringify(h).slice(0, 60), h] as const))('a hostile snippet stays text (component): %s', (_name, s) => {
    const target = document.createElement('div');
    document.body.appendChild(target);
    const c = mount(Snippet, { target, props: { segments: s } });
    flushSync();
    const span = target.querySelector('[data-testid=snippet]')!;
    expect([...span.querySelectorAll('*')].every((el) => el.tagName === 'MARK')).toBe(true);
    expect(span.textContent).toBe(plain(s));
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
    unmount(c);
    target.remove();
  });

  it('marks the matched words', () => {
    const target = document.createElement('div');
    const c = mount(Snippet, { target, props: { segments: [seg('…we '), seg('deploy', true), seg(' on '), seg('Friday', true), seg('…')] } });
    flushSync();
    expect([...target.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['deploy', 'Friday']);
    expect(target.textContent).toBe('…we deploy on Friday…');
    unmount(c);
  });
});

describe('terms', () => {
  it('collects the matched words of snippets once each', () => {
    expect(markedTerms([[seg('Deploy', true), seg(' x '), seg('deploy', true)], [seg('数据库', true)], 'junk'])).toEqual(['Deploy', '数据库']);
  });
  it('takes search syntax out of a query', () => {
    expect(queryTerms('"quick fox" AND (jump* OR NEAR) col:x')).toEqual(['quick', 'fox', 'jump', 'col', 'x']);
    expect(queryTerms('  ')).toEqual([]);
  });
});

describe('highlightTerms', () => {
  it('wraps matches in text nodes only, case-insensitively, and can be undone', () => {
    const root = document.createElement('div');
    root.innerHTML = '<p>Deploy on <a href="#deploy">deploy day</a></p><pre><code>deploy()</code></pre><button>deploy</button>';
    const before = root.innerHTML;
    const marks = highlightTerms(root, ['deploy']);
    expect(marks.map((m) => m.textContent)).toEqual(['Deploy', 'deploy', 'deploy']);
    expect(root.querySelector('a')!.getAttribute('href')).toBe('#deploy'); // attributes untouched
    expect(root.querySelector('button')!.innerHTML).toBe('deploy'); // controls are not text to highlight
    clearHighlights(root);
    expect(root.innerHTML).toBe(before);
  });

  it('prefers the longer of overlapping terms and treats terms as text, not patterns', () => {
    const root = document.createElement('div');
    root.textContent = 'a.b a+b database data';
    expect(highlightTerms(root, ['data', 'database', 'a.b', 'a+b']).map((m) => m.textContent)).toEqual(['a.b', 'a+b', 'database', 'data']);
    expect(highlightTerms(document.createElement('div'), [' '])).toEqual([]);
  });

  it('finds Chinese inside a longer run of text', () => {
    const root = document.createElement('div');
    root.textContent = '我们把数据库迁移到了新服务器';
    expect(highlightTerms(root, ['数据库']).map((m) => m.textContent)).toEqual(['数据库']);
    expect(root.textContent).toBe('我们把数据库迁移到了新服务器');
  });
});
