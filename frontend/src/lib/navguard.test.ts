// @vitest-environment jsdom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { installNavigationGuard } from './navguard';
import { linkAt, outsideOpener } from './links';
import { SVG_NS, XLINK_NS } from './output-policy';

let dispose: (() => void) | undefined;
let open: ReturnType<typeof vi.fn<(url: string) => void>>;

function click(el: Element, init: MouseEventInit = {}, type = 'click'): MouseEvent {
  const e = new MouseEvent(type, { bubbles: true, cancelable: true, ...init });
  el.dispatchEvent(e);
  return e;
}

function html(markup: string): HTMLElement {
  const div = document.createElement('div');
  div.innerHTML = markup;
  document.body.append(div);
  return div;
}

function svgLink(attr: 'href' | 'xlink:href', url: string): Element {
  const svg = document.createElementNS(SVG_NS, 'svg');
  const a = document.createElementNS(SVG_NS, 'a');
  if (attr === 'href') a.setAttribute('href', url);
  else a.setAttributeNS(XLINK_NS, 'xlink:href', url);
  const rect = document.createElementNS(SVG_NS, 'rect');
  a.append(rect);
  svg.append(a);
  document.body.append(svg);
  return rect;
}

beforeEach(() => {
  open = vi.fn<(url: string) => void>();
});
afterEach(() => {
  dispose?.();
  dispose = undefined;
  document.body.innerHTML = '';
});

describe('navigation guard', () => {
  it.each([
    ['HTML link', () => html('<a href="https://evil.example/a"><b>x</b></a>').querySelector('b')!, 'https://evil.example/a'],
    ['SVG link (href)', () => svgLink('href', 'https://evil.example/svg'), 'https://evil.example/svg'],
    ['SVG link (xlink:href)', () => svgLink('xlink:href', 'https://evil.example/xlink'), 'https://evil.example/xlink'],
    ['image map area', () => html('<map name="m"><area href="https://evil.example/area" coords="0,0,1,1"></map>').querySelector('area')!, 'https://evil.example/area'],
    ['mailto link', () => html('<a href="mailto:x@example.com">m</a>').querySelector('a')!, 'mailto:x@example.com'],
  ])('cancels a click on a %s and opens it outside', (_name, make, url) => {
    dispose = installNavigationGuard(window, open, { desktop: false });
    const e = click(make());
    expect(e.defaultPrevented).toBe(true);
    expect(open).toHaveBeenCalledExactlyOnceWith(url);
  });

  it.each([
    ['javascript:', '<a href="javascript:alert(1)">x</a>'],
    ['same-origin page', '<a href="/other/page">x</a>'],
    ['file:', '<a href="file:///etc/passwd">x</a>'],
  ])('cancels a %s link and opens nothing', (_name, markup) => {
    dispose = installNavigationGuard(window, open, { desktop: false });
    const e = click(html(markup).querySelector('a')!);
    expect(e.defaultPrevented).toBe(true);
    expect(open).not.toHaveBeenCalled();
  });

  it('leaves fragment links, buttons inside links and non-links alone', () => {
    dispose = installNavigationGuard(window, open, { desktop: false });
    const root = html('<a href="#part">frag</a><a href="https://example.com/"><button type="button">b</button></a><p>text</p>');
    expect(click(root.querySelector('a')!).defaultPrevented).toBe(false);
    expect(click(root.querySelector('button')!).defaultPrevented).toBe(false);
    expect(click(root.querySelector('p')!).defaultPrevented).toBe(false);
    expect(open).not.toHaveBeenCalled();
  });

  it('handles middle clicks, not right clicks', () => {
    dispose = installNavigationGuard(window, open, { desktop: false });
    const a = html('<a href="https://example.com/m">m</a>').querySelector('a')!;
    expect(click(a, { button: 2 }, 'auxclick').defaultPrevented).toBe(false);
    expect(click(a, { button: 1 }, 'auxclick').defaultPrevented).toBe(true);
    expect(open).toHaveBeenCalledExactlyOnceWith('https://example.com/m');
  });

  it('runs before handlers that stop propagation', () => {
    dispose = installNavigationGuard(window, open, { desktop: false });
    const a = html('<a href="https://example.com/s">s</a>').querySelector('a')!;
    a.addEventListener('click', (e) => e.stopPropagation());
    expect(click(a).defaultPrevented).toBe(true);
    expect(open).toHaveBeenCalledOnce();
  });

  it('cancels form submissions and dropped links outside text fields', () => {
    dispose = installNavigationGuard(window, open, { desktop: false });
    const root = html('<form action="https://evil.example/f"><button>go</button></form><div id="d">drop here</div><textarea></textarea>');
    const submit = new Event('submit', { bubbles: true, cancelable: true });
    root.querySelector('form')!.dispatchEvent(submit);
    expect(submit.defaultPrevented).toBe(true);
    for (const type of ['dragover', 'drop']) {
      const onDiv = new Event(type, { bubbles: true, cancelable: true });
      root.querySelector('#d')!.dispatchEvent(onDiv);
      expect(onDiv.defaultPrevented, type).toBe(true);
      const onText = new Event(type, { bubbles: true, cancelable: true });
      root.querySelector('textarea')!.dispatchEvent(onText);
      expect(onText.defaultPrevented, `${type} on a textarea`).toBe(false);
    }
  });

  it('reroutes window.open in the desktop window only, and restores it', () => {
    const native = window.open;
    dispose = installNavigationGuard(window, open, { desktop: false });
    expect(window.open).toBe(native);
    dispose();
    dispose = installNavigationGuard(window, open, { desktop: true });
    expect(window.open).not.toBe(native);
    expect(window.open('https://example.com/w', '_blank')).toBeNull();
    expect(window.open('javascript:alert(1)')).toBeNull();
    expect(window.open('/same-origin')).toBeNull();
    expect(open).toHaveBeenCalledExactlyOnceWith('https://example.com/w');
    dispose();
    dispose = undefined;
    expect(window.open).toBe(native);
  });

  it('stops guarding once disposed', () => {
    installNavigationGuard(window, open, { desktop: false })();
    const a = html('<a href="#x">x</a><a href="https://example.com/">y</a>').querySelectorAll('a')[1];
    a.addEventListener('click', (e) => e.preventDefault()); // keep jsdom from trying to navigate
    click(a);
    expect(open).not.toHaveBeenCalled();
  });
});

describe('links', () => {
  it('finds the link a click activates, up to a boundary', () => {
    const root = html('<div id="b"><a href="https://example.com/"><span><i>x</i></span></a><span id="plain">p</span></div>');
    const boundary = root.querySelector('#b')!;
    expect(linkAt(root.querySelector('i'), boundary)).toBe(root.querySelector('a'));
    expect(linkAt(root.querySelector('#plain'), boundary)).toBeNull();
    expect(linkAt(root.querySelector('a'), root.querySelector('span'))).toBe(root.querySelector('a'));
    expect(linkAt(html('<a>no href</a>').querySelector('a'))).toBeNull();
  });

  it('opens through the desktop bridge when there is one, else a new tab without opener or referrer', () => {
    const fakeWin = { open: vi.fn() } as unknown as Window;
    outsideOpener(fakeWin, { openExternal: () => true })('https://example.com/d');
    expect(fakeWin.open).not.toHaveBeenCalled();
    outsideOpener(fakeWin, { openExternal: () => false })('https://example.com/b');
    expect(fakeWin.open).toHaveBeenCalledExactlyOnceWith('https://example.com/b', '_blank', 'noopener,noreferrer');
  });
});
