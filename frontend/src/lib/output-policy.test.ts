// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { MarkdownRenderer } from './markdown';
import { classifyImage, externalURL, firstSrcsetURL, XLINK_NS } from './output-policy';

function dom(html: string): HTMLElement {
  // A <template> parses without loading anything, like the renderer's own document.
  const t = document.createElement('template');
  t.innerHTML = html;
  const div = document.createElement('div');
  div.append(t.content);
  return div;
}

const md = new MarkdownRenderer();
const render = (src: string) => dom(md.render(src));

/** Every attribute in the output that names a remote address, except where the rules allow one. */
function remoteReferences(root: Element): string[] {
  const found: string[] = [];
  for (const el of root.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      if (!/(?:https?:)?\/\/|url\(\s*['"]?\s*[^#'"\s]/i.test(attr.value)) continue;
      const link = attr.localName === 'href' && ['a', 'area'].includes(el.localName);
      const parked = attr.name === 'data-src' && el.classList.contains('remote-image');
      const label = attr.name === 'title' && el.classList.contains('remote-image-label');
      if (!link && !parked && !label) found.push(`<${el.localName} ${attr.name}="${attr.value}">`);
    }
  }
  return found;
}

describe('links in model output', () => {
  it.each([
    ['markdown link', '[docs](https://example.com/a?b=1)', 'https://example.com/a?b=1'],
    ['autolink', '<https://example.org>', 'https://example.org/'],
    ['raw anchor', '<a href="https://example.net/x">x</a>', 'https://example.net/x'],
    ['mailto', '<a href="mailto:someone@example.com">mail</a>', 'mailto:someone@example.com'],
    ['image map area', '<map name="m"><area shape="rect" coords="0,0,9,9" href="https://evil.example/area"></map>', 'https://evil.example/area'],
  ])('%s opens outside the app without opener or referrer', (_name, src, href) => {
    const root = render(src);
    const link = root.querySelector('a, area')!;
    expect(link.getAttribute('href')).toBe(href);
    expect(link.getAttribute('target')).toBe('_blank');
    expect(link.getAttribute('rel')).toBe('noopener noreferrer');
    expect(link.getAttribute('referrerpolicy')).toBe('no-referrer');
  });

  it.each([
    ['javascript:', '<a href="javascript:alert(1)">x</a>'],
    ['javascript: split by a tab', '<a href="java\tscript:alert(1)">x</a>'],
    ['vbscript:', '<a href="vbscript:msgbox(1)">x</a>'],
    ['data:', '<a href="data:text/html,<script>alert(1)</script>">x</a>'],
    ['file:', '<a href="file:///etc/passwd">x</a>'],
    ['relative path', '<a href="/api/sessions">x</a>'],
    ['protocol-relative', '<a href="//evil.example/">x</a>'],
    ['area with javascript:', '<map name="m"><area href="javascript:alert(1)" coords="0,0,1,1"></map>'],
    ['markdown javascript: link', '[x](javascript:alert(1))'],
  ])('%s loses its href and is inert', (_name, src) => {
    const root = render(src);
    expect(root.querySelector('[href]')).toBeNull();
    expect(root.querySelector('[target]')).toBeNull();
  });

  it('keeps fragment links inside the answer, without a new tab', () => {
    const a = render('<a href="#part-2">jump</a>').querySelector('a')!;
    expect(a.getAttribute('href')).toBe('#part-2');
    expect(a.hasAttribute('target')).toBe(false);
  });

  it('makes SVG links (href and xlink:href) open outside; drops their unsafe ones', () => {
    const root = render(
      '<svg width="10" height="10"><a href="https://evil.example/svg"><rect width="5" height="5"/></a>' +
        '<a xlink:href="https://evil.example/xlink"><circle r="2"/></a>' +
        '<a xlink:href="javascript:alert(1)"><circle r="3"/></a>' +
        '<a href="data:text/html,x"><circle r="4"/></a></svg>',
    );
    const links = [...root.querySelectorAll('svg a')];
    expect(links).toHaveLength(4);
    expect(links.map((a) => a.getAttribute('href'))).toEqual(['https://evil.example/svg', 'https://evil.example/xlink', null, null]);
    for (const a of links) expect(a.getAttributeNS(XLINK_NS, 'href')).toBeNull();
    expect(links[0].getAttribute('target')).toBe('_blank');
    expect(links[0].getAttribute('rel')).toBe('noopener noreferrer');
  });

  it('makes MathML links inert', () => {
    const root = render('<math href="https://evil.example/m"><mi href="https://evil.example/mi">x</mi><mglyph src="https://evil.example/g.png"/></math>');
    expect(root.querySelector('math')).not.toBeNull();
    expect(root.querySelector('[href], [src]')).toBeNull();
  });

  it('lets SVG elements other than links reference only their own fragments', () => {
    const root = render(
      '<svg><defs><linearGradient id="g"><stop offset="0"/></linearGradient>' +
        '<linearGradient id="h" href="https://evil.example/g.svg#x"/><linearGradient id="k" href="#g"/></defs>' +
        '<textPath href="https://evil.example/p.svg#p">t</textPath>' +
        '<rect fill="url(#g)" width="1" height="1"/><rect fill="url(https://evil.example/p.svg#p)" filter="url(\'//evil.example/f.svg#f\')" width="1" height="1"/></svg>',
    );
    expect(root.querySelector('#h')!.hasAttribute('href')).toBe(false);
    expect(root.querySelector('#k')!.getAttribute('href')).toBe('#g');
    const rects = root.querySelectorAll('rect');
    expect(rects[0].getAttribute('fill')).toBe('url(#g)');
    expect(rects[1].hasAttribute('fill')).toBe(false);
    expect(rects[1].hasAttribute('filter')).toBe(false);
    expect(remoteReferences(root)).toEqual([]);
  });

  it('removes forms, form actions, <base> and meta refresh', () => {
    const root = render(
      '<form action="https://evil.example/f"><button>go</button></form>' +
        '<button formaction="https://evil.example/fa" form="composer">b</button>' +
        '<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=https://evil.example/r">',
    );
    expect(root.querySelector('form, base, meta')).toBeNull();
    const button = root.querySelector('button')!;
    expect(button.getAttributeNames().filter((a) => a !== 'type')).toEqual([]);
    expect(remoteReferences(root)).toEqual([]);
  });

  it('strips attributes that act on other parts of the page', () => {
    const root = render(
      '<div popover="manual" id="pop">p</div>' +
        '<button popovertarget="pop" popovertargetaction="show">show</button>' +
        '<button command="show-modal" commandfor="settings">c</button>' +
        '<button interestfor="pop">i</button>' +
        '<label for="composer">l</label><p autofocus tabindex="0">a</p>',
    );
    for (const el of root.querySelectorAll('*')) {
      for (const attr of ['popover', 'popovertarget', 'popovertargetaction', 'command', 'commandfor', 'interestfor', 'for', 'autofocus']) {
        expect(el.hasAttribute(attr), `${el.localName}[${attr}]`).toBe(false);
      }
    }
  });
});

describe('images in model output', () => {
  it('turns a remote image into a placeholder naming the host, with no URL that loads', () => {
    const root = render('Look: ![a cat](https://img.example:8443/cat.png "t")');
    expect(root.querySelector('img')).toBeNull();
    const box = root.querySelector<HTMLElement>('.remote-image')!;
    expect(box.dataset.src).toBe('https://img.example:8443/cat.png');
    expect(box.dataset.alt).toBe('a cat');
    expect(box.querySelector('.remote-image-label')!.textContent).toBe('Image from img.example:8443');
    expect(box.querySelector('.remote-image-alt')!.textContent).toBe('a cat');
    expect(box.querySelector('button.remote-image-load')!.textContent).toBe('Load image');
    expect(box.querySelector('button.remote-image-always')!.textContent).toBe('Always load images in this chat');
    expect(remoteReferences(root)).toEqual([]);
  });

  it.each([
    ['raw <img>', '<img src="https://img.example/a.png" alt="x">', 'https://img.example/a.png'],
    ['srcset only', '<img srcset="https://img.example/a.png 1x, https://img.example/b.png 2x">', 'https://img.example/a.png'],
    ['src and srcset', '<img src="https://img.example/a.png" srcset="https://other.example/b.png 2x">', 'https://img.example/a.png'],
    ['<picture> with sources', '<picture><source srcset="https://img.example/s.webp" type="image/webp"><img src="https://img.example/a.png"></picture>', 'https://img.example/a.png'],
  ])('%s becomes a placeholder', (_name, src, url) => {
    const root = render(src);
    expect(root.querySelector('img, source')).toBeNull();
    expect(root.querySelector<HTMLElement>('.remote-image')!.dataset.src).toBe(url);
    expect(remoteReferences(root)).toEqual([]);
  });

  it.each([
    ['video poster and source', '<video poster="https://img.example/p.png" src="https://img.example/v.mp4" autoplay><source src="https://img.example/v.webm"></video>'],
    ['audio', '<audio src="https://img.example/a.mp3" autoplay></audio>'],
    ['SVG <image>', '<svg><image href="https://img.example/s.png" width="5" height="5"/><image xlink:href="https://img.example/x.png"/></svg>'],
    ['SVG <feImage>', '<svg><filter id="f"><feImage href="https://img.example/f.png"/></filter></svg>'],
    ['table background', '<table background="https://img.example/bg.png"><tr><td background="https://img.example/td.png">x</td></tr></table>'],
    ['CSS url() in style', '<div style="background:url(https://img.example/css.png)">x</div><style>p{background:url(https://img.example/s.png)}</style>'],
    ['SVG style element', '<svg><style>rect{fill:url(https://img.example/p.svg#p)}</style><rect/></svg>'],
    ['link preload', '<link rel="preload" as="image" href="https://img.example/l.png">'],
    ['anchor ping', '<a href="https://example.com" ping="https://img.example/ping">x</a>'],
    ['object and embed', '<object data="https://img.example/o.svg"></object><embed src="https://img.example/e.svg">'],
    ['iframe srcdoc', '<iframe srcdoc="<img src=https://img.example/i.png>"></iframe>'],
    ['input image', '<input type="image" src="https://img.example/i.png">'],
    ['lowsrc and longdesc', '<img lowsrc="https://img.example/l.png" longdesc="https://img.example/d" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'],
  ])('%s loads nothing remote', (_name, src) => {
    const root = render(src);
    expect(root.querySelector('video, audio, source, object, embed, iframe, input, link, style')).toBeNull();
    expect(remoteReferences(root)).toEqual([]);
    expect(root.querySelector('.remote-image')).toBeNull();
  });

  it('keeps data: and blob: images as they are', () => {
    const png = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const root = render(`<img src="${png}" alt="dot"> ![b](blob:https://app.example/0f1e) <svg><image href="${png}"/></svg>`);
    const imgs = root.querySelectorAll('img');
    expect(imgs[0].getAttribute('src')).toBe(png);
    expect(imgs[0].getAttribute('referrerpolicy')).toBe('no-referrer');
    expect(imgs[1].getAttribute('src')).toBe('blob:https://app.example/0f1e');
    expect(root.querySelector('svg image')!.getAttribute('href')).toBe(png);
    expect(root.querySelector('.remote-image')).toBeNull();
  });

  it.each([
    ['data:text/html', '<img src="data:text/html,<b>x</b>" alt="d">'],
    ['javascript:', '<img src="javascript:alert(1)" alt="d">'],
    ['relative', '<img src="/api/sessions" alt="d">'],
  ])('drops a %s image source and keeps the alt text', (_name, src) => {
    const img = render(src).querySelector('img')!;
    expect(img.hasAttribute('src')).toBe(false);
    expect(img.getAttribute('alt')).toBe('d');
  });

  it('shows a plain-http image as a note without a load button', () => {
    const box = render('![x](http://img.example/a.png)').querySelector<HTMLElement>('.remote-image')!;
    expect(box.classList.contains('insecure')).toBe(true);
    expect(box.querySelector('button')).toBeNull();
    expect(box.querySelector('.remote-image-note')!.textContent).toMatch(/not secure/);
  });

  it('keeps a linked remote image as a placeholder inside its link', () => {
    const root = render('[![logo](https://img.example/logo.png)](https://example.com/home)');
    const a = root.querySelector('a')!;
    expect(a.getAttribute('href')).toBe('https://example.com/home');
    expect(a.querySelector('.remote-image button.remote-image-load')).not.toBeNull();
  });

  it('keeps an image map on an inline image', () => {
    const root = render('<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" usemap="#m"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" usemap="https://evil.example/#m">');
    const [a, b] = root.querySelectorAll('img');
    expect(a.getAttribute('usemap')).toBe('#m');
    expect(b.hasAttribute('usemap')).toBe(false);
  });

  it('writes the placeholder in the UI language', () => {
    const r = new MarkdownRenderer();
    const before = r.render('![x](https://img.example/a.png)');
    r.setImageLabels({ imageFrom: '来自 {host} 的图片', loadImage: '加载图片', alwaysLoad: '总是加载', insecure: '不安全' });
    const box = dom(r.render('![x](https://img.example/a.png)')).querySelector('.remote-image')!;
    expect(box.querySelector('.remote-image-label')!.textContent).toBe('来自 img.example 的图片');
    expect(box.querySelector('.remote-image-load')!.textContent).toBe('加载图片');
    expect(before).toContain('Load image');
  });

  it('cannot be fooled into parking a URL of the model’s choosing', () => {
    const root = render('<span class="remote-image" data-src="https://evil.example/x.png">x</span><img data-hf-remote="https://evil.example/y.png" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">');
    expect(root.querySelector('[data-src]')).toBeNull();
    expect(root.querySelector('[data-hf-remote]')).toBeNull();
  });
});

describe('URL rules', () => {
  it.each([
    ['https://example.com', 'https://example.com/'],
    [' HTTPS://Example.COM/a b ', 'https://example.com/a%20b'],
    ['mailto:a@b.example', 'mailto:a@b.example'],
    ['javascript:alert(1)', null],
    ['jav&#x09;ascript:alert(1)', null],
    ['data:text/html,x', null],
    ['/relative', null],
    ['//evil.example/', null],
    ['http://', null],
    ['', null],
  ])('externalURL(%j) = %j', (raw, want) => {
    expect(externalURL(raw)).toBe(want);
  });

  it('classifies image sources', () => {
    expect(classifyImage('data:image/png;base64,AA')).toEqual({ kind: 'inline', url: 'data:image/png;base64,AA' });
    expect(classifyImage('DATA:image/svg+xml,<svg/>')?.kind).toBe('inline');
    expect(classifyImage('https://a.example:1/x')).toEqual({ kind: 'remote', url: 'https://a.example:1/x', host: 'a.example:1', secure: true });
    expect(classifyImage('http://a.example/x')).toMatchObject({ kind: 'remote', secure: false });
    expect(classifyImage('data:text/html,x')).toBeNull();
    expect(classifyImage('x.png')).toBeNull();
    expect(firstSrcsetURL(' https://a.example/1.png 1x, https://a.example/2.png 2x')).toBe('https://a.example/1.png');
    expect(firstSrcsetURL('https://a.example/1.png, https://a.example/2.png')).toBe('https://a.example/1.png');
  });
});
