// @vitest-environment jsdom
import { Marked } from 'marked';
import { describe, expect, it, vi } from 'vitest';
import { MarkdownRenderer, newIncrementalState } from './markdown';

function dom(html: string): HTMLElement {
  const div = document.createElement('div');
  div.innerHTML = html;
  return div;
}

describe('MarkdownRenderer', () => {
  const md = new MarkdownRenderer();

  it.each([
    ['script tag', '<script>window.__x=1</script>hi'],
    ['img onerror', '<img src=x onerror="window.__x=1">'],
    ['svg onload', '<svg onload="window.__x=1"><circle r="1"/></svg>'],
    ['iframe', '<iframe src="https://evil.example"></iframe>'],
    ['javascript link', '[click](javascript:window.__x=1)'],
    ['raw javascript anchor', '<a href="javascript:alert(1)">x</a>'],
    ['data: link', '<a href="data:text/html,<script>alert(1)</script>">x</a>'],
    ['event handler on div', '<div onclick="window.__x=1" onmouseover="window.__x=1">x</div>'],
    ['form', '<form action="https://evil.example"><input name=a><button>go</button></form>'],
    ['style overlay', '<div style="position:fixed;inset:0">fake UI</div><style>body{display:none}</style>'],
    ['object/embed', '<object data="x.swf"></object><embed src="x.swf">'],
    ['meta refresh', '<meta http-equiv="refresh" content="0;url=https://evil.example">'],
  ])('renders %s inert', (_name, src) => {
    const root = dom(md.render(src));
    expect(root.querySelector('script, iframe, object, embed, form, input, style, meta')).toBeNull();
    for (const el of root.querySelectorAll('*')) {
      for (const attr of el.getAttributeNames()) {
        expect(attr.startsWith('on'), `${el.tagName} ${attr}`).toBe(false);
        expect(attr).not.toBe('style');
      }
    }
    for (const a of root.querySelectorAll('a[href]')) {
      expect(a.getAttribute('href')).toMatch(/^(https?:|mailto:|#)/);
    }
  });

  it('keeps the visible text of escaped HTML in code', () => {
    const root = dom(md.render('```html\n<script>alert(1)</script>\n```'));
    expect(root.querySelector('script')).toBeNull();
    expect(root.querySelector('pre code')!.textContent).toBe('<script>alert(1)</script>');
  });

  it('opens links outside the app without leaking the opener or referrer', () => {
    const root = dom(md.render('see [docs](https://example.com/a?b=1) and <https://example.org>'));
    const links = [...root.querySelectorAll('a')];
    expect(links).toHaveLength(2);
    for (const a of links) {
      expect(a.getAttribute('target')).toBe('_blank');
      expect(a.getAttribute('rel')).toBe('noopener noreferrer');
    }
  });

  it('highlights fenced code and gives it a copy button', () => {
    md.setCopyLabel('复制');
    const root = dom(md.render('```go\nfunc main() {}\n```'));
    const code = root.querySelector('.code-block pre code.hljs.language-go')!;
    expect(code.textContent).toBe('func main() {}');
    expect(code.querySelector('.hljs-keyword')?.textContent).toBe('func');
    expect(root.querySelector('.code-block button.copy-code')!.textContent).toBe('复制');
    expect(root.querySelector('.code-lang')!.textContent).toBe('go');
    md.setCopyLabel('Copy');
  });

  it('renders common markdown: headings, lists, tables, emphasis', () => {
    const root = dom(md.render('# Title\n\n- one\n- **two**\n\n| a | b |\n|---|---|\n| 1 | 2 |\n'));
    expect(root.querySelector('h1')!.textContent).toBe('Title');
    expect(root.querySelectorAll('li')).toHaveLength(2);
    expect(root.querySelector('strong')!.textContent).toBe('two');
    expect(root.querySelectorAll('td')).toHaveLength(2);
  });

  it('re-renders only the growing tail while streaming', () => {
    const r = new MarkdownRenderer();
    const first = r.blocks('# Head\n\nParagraph one.\n\nPara');
    const second = r.blocks('# Head\n\nParagraph one.\n\nParagraph two grows');
    expect(first).toHaveLength(3);
    expect(second).toHaveLength(3);
    expect(second[0]).toEqual(first[0]);
    expect(second[1]).toEqual(first[1]);
    expect(second[2].html).toContain('Paragraph two grows');
    expect(second.map((b) => b.key)).toEqual(['0', '1', '2']);
  });

  it('still resolves reference-style links across blocks', () => {
    const root = dom(md.render('Read [the spec][s].\n\n[s]: https://example.com/spec\n'));
    expect(root.querySelector('a')!.getAttribute('href')).toBe('https://example.com/spec');
  });
});

// Hundreds of full renders: a generous bound, since the test machine may be loaded.
describe('incremental rendering of a growing answer', { timeout: 60_000 }, () => {
  const sample = [
    '# Title\n\nIntro paragraph with **bold** and a [link](https://example.com).\n\n',
    '- one\n- two\n\n- three (loose list)\n\n',
    '```python\nprint("hi")\n\nprint("there")\n```\n\n',
    '> quote line\n> more\n\n',
    'Setext heading\n==============\n\n',
    '| a | b |\n|---|---|\n| 1 | 2 |\n\n',
    '1. first\n2. second\n   continued\n\nLast paragraph, 中文也可以。\r\nWith CRLF.',
  ].join('');

  // Hundreds of full renders: generous time, the machine may be shared.
  it.each([1, 3, 7, 40])('matches a full render at every step when growing by %i chars', { timeout: 60_000 }, (step) => {
    const r = new MarkdownRenderer();
    const full = new MarkdownRenderer();
    const state = newIncrementalState();
    for (let n = step; n < sample.length + step; n += step) {
      const text = sample.slice(0, n);
      expect(r.blocks(text, state).map((b) => b.html)).toEqual(full.blocks(text).map((b) => b.html));
    }
  });

  it('lexes only the tail once the text is long', { timeout: 60_000 }, () => {
    const r = new MarkdownRenderer();
    const state = newIncrementalState();
    let text = '';
    for (let i = 0; i < 200; i++) text += `Paragraph ${i} with some words.\n\n`;
    r.blocks(text, state);
    const lexer = vi.spyOn(Marked.prototype, 'lexer');
    r.blocks(text + 'tail', state);
    expect(lexer).toHaveBeenCalledTimes(1);
    expect((lexer.mock.calls[0][0] as string).length).toBeLessThan(200);
  });

  it('starts over when the text is replaced rather than extended', () => {
    const r = new MarkdownRenderer();
    const state = newIncrementalState();
    r.blocks('first version\n\nsecond paragraph\n\nthird\n\nfourth', state);
    const html = r.render('completely different');
    expect(r.blocks('completely different', state).map((b) => b.html).join('')).toBe(html);
  });
});
