// @vitest-environment jsdom
import { flushSync, mount, unmount } from 'svelte';
import { describe, expect, it } from 'vitest';
import Snippet from '../components/Snippet.svelte';
import { clearHighlights, highlightTerms, markClose as C, markOpen as O, markedTerms, parseSnippet, queryTerms, renderSnippet } from './snippet';

const hostile = [
  `<img src=x onerror="window.__pwned=1">`,
  `${O}<script>window.__pwned=2</script>${C}`,
  `a ${O}<b onclick=alert(1)>bold</b>${C} &lt;i&gt; &amp; </mark><mark>`,
  `${O}"><svg onload=alert(1)>${C}${O}`,
];

describe('parseSnippet', () => {
  it('splits at the markers', () => {
    expect(parseSnippet(`the ${O}quick${C} fox ${O}jumps${C}`)).toEqual([
      { text: 'the ', mark: false },
      { text: 'quick', mark: true },
      { text: ' fox ', mark: false },
      { text: 'jumps', mark: true },
    ]);
  });

  it('copes with unbalanced, doubled and empty markers', () => {
    expect(parseSnippet(`a ${O}b`)).toEqual([
      { text: 'a ', mark: false },
      { text: 'b', mark: true },
    ]);
    expect(parseSnippet(`a${C} b`)).toEqual([{ text: 'a b', mark: false }]);
    expect(parseSnippet(`${O}${O}x${C}${C}`)).toEqual([{ text: 'x', mark: true }]);
    expect(parseSnippet(`${O}${C}`)).toEqual([]);
    expect(parseSnippet('')).toEqual([]);
  });

  it('keeps characters outside the basic plane whole (CJK, emoji)', () => {
    expect(parseSnippet(`我们${O}数据库${C}🙂`)).toEqual([
      { text: '我们', mark: false },
      { text: '数据库', mark: true },
      { text: '🙂', mark: false },
    ]);
  });
});

describe('snippet rendering', () => {
  it.each(hostile)('a hostile snippet stays text (DOM builder): %s', (s) => {
    const div = document.createElement('div');
    renderSnippet(div, s);
    expect([...div.querySelectorAll('*')].every((el) => el.tagName === 'MARK')).toBe(true);
    expect(div.textContent).toBe(s.replaceAll(O, '').replaceAll(C, ''));
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it.each(hostile)('a hostile snippet stays text (component): %s', (s) => {
    const target = document.createElement('div');
    const c = mount(Snippet, { target, props: { text: s } });
    flushSync();
    const span = target.querySelector('[data-testid=snippet]')!;
    expect([...span.querySelectorAll('*')].every((el) => el.tagName === 'MARK')).toBe(true);
    expect(span.textContent).toBe(s.replaceAll(O, '').replaceAll(C, ''));
    unmount(c);
  });

  it('marks the matched words', () => {
    const target = document.createElement('div');
    const c = mount(Snippet, { target, props: { text: `…we ${O}deploy${C} on ${O}Friday${C}…` } });
    flushSync();
    expect([...target.querySelectorAll('mark')].map((m) => m.textContent)).toEqual(['deploy', 'Friday']);
    expect(target.textContent).toBe('…we deploy on Friday…');
    unmount(c);
  });
});

describe('terms', () => {
  it('collects the marked words of snippets once each', () => {
    expect(markedTerms([`${O}Deploy${C} x ${O}deploy${C}`, `${O}数据库${C}`])).toEqual(['Deploy', '数据库']);
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
});
