import { Marked, type Token, type Tokens, type TokensList } from 'marked';
import DOMPurify, { type DOMPurify as Purifier } from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import dockerfile from 'highlight.js/lib/languages/dockerfile';
import go from 'highlight.js/lib/languages/go';
import ini from 'highlight.js/lib/languages/ini';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import kotlin from 'highlight.js/lib/languages/kotlin';
import markdown from 'highlight.js/lib/languages/markdown';
import php from 'highlight.js/lib/languages/php';
import plaintext from 'highlight.js/lib/languages/plaintext';
import python from 'highlight.js/lib/languages/python';
import ruby from 'highlight.js/lib/languages/ruby';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import swift from 'highlight.js/lib/languages/swift';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import {
  applyOutputPolicy,
  defaultImageLabels,
  forbiddenAttributes,
  forbiddenTags,
  placeRemoteImages,
  type ImageLabels,
} from './output-policy';

const languages = {
  bash, c, cpp, csharp, css, diff, dockerfile, go, ini, java, javascript, json, kotlin,
  markdown, php, plaintext, python, ruby, rust, shell, sql, swift, typescript, xml, yaml,
};
let registered = false;
/** Registers the languages on the first code block, not while the app starts. */
function registerLanguages(): void {
  if (registered) return;
  registered = true;
  for (const [name, lang] of Object.entries(languages)) {
    if (!hljs.getLanguage(name)) hljs.registerLanguage(name, lang);
  }
}

/** Languages tried when a fence names none; a short list keeps guessing cheap. */
const guessable = ['python', 'javascript', 'typescript', 'go', 'rust', 'bash', 'json', 'sql', 'java', 'cpp', 'xml', 'css', 'yaml'];

/** Blocks re-lexed on every append (a list or fence may still be growing). */
const reLex = 3;

/** Lexing state of one growing text; create one per message with `newIncrementalState`. */
export interface IncrementalState {
  src: string;
  tokens: Token[];
  links: TokensList['links'];
  ok: boolean;
}

export function newIncrementalState(): IncrementalState {
  return { src: '', tokens: [], links: {}, ok: false };
}

/** One top-level markdown block, already sanitised. */
export interface Block {
  key: string;
  html: string;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * Turns untrusted model output into safe HTML: marked for the markdown,
 * highlight.js for code, then DOMPurify over the result, so whatever the
 * model writes (raw HTML included) cannot run script, submit forms, style
 * itself over the app, navigate the window or load a remote resource before
 * the user agrees (output-policy.ts). Rendering works block by block with a
 * cache, so a streaming answer re-renders only its growing tail.
 */
export class MarkdownRenderer {
  #markedInstance: Marked | null = null;
  #purifier: Purifier | null = null;
  readonly #window: Parameters<typeof DOMPurify>[0];
  readonly #cache = new Map<string, string>();
  readonly #cacheLimit: number;
  #copyLabel: string;
  #imageLabels: ImageLabels = { ...defaultImageLabels };

  constructor(opts: { window?: Window; copyLabel?: string; cacheLimit?: number } = {}) {
    this.#window = (opts.window ?? window) as unknown as Parameters<typeof DOMPurify>[0];
    this.#copyLabel = opts.copyLabel ?? 'Copy';
    this.#cacheLimit = opts.cacheLimit ?? 4000;
  }

  // The sanitiser and the parser are made on the first render: the app
  // starts (and shows its chat list) without paying for them.
  get #purify(): Purifier {
    return (this.#purifier ??= this.#makePurifier());
  }

  get #marked(): Marked {
    return (this.#markedInstance ??= new Marked({
      gfm: true,
      breaks: false,
      renderer: { code: (token: Tokens.Code) => this.#code(token.text, token.lang ?? '') },
    }));
  }

  #makePurifier(): Purifier {
    const purify = DOMPurify(this.#window);
    purify.setConfig({
      FORBID_TAGS: forbiddenTags,
      FORBID_ATTR: forbiddenAttributes,
      ALLOW_DATA_ATTR: false,
      // DOMPurify's default URI rule plus blob: (an image the page made
      // itself); output-policy.ts decides per element what may stay.
      ALLOWED_URI_REGEXP: /^(?:(?:(?:f|ht)tps?|mailto|tel|callto|sms|cid|xmpp|matrix|blob):|[^a-z]|[a-z+.\-]+(?:[^a-z+.\-:]|$))/i,
      // A fragment of DOMPurify's own inert document: remote images are
      // swapped for placeholders there, where nothing loads, before the
      // result becomes a string.
      RETURN_DOM_FRAGMENT: true,
    });
    // Links open outside the app or lose their href; remote media is held back (output-policy.ts).
    purify.addHook('afterSanitizeAttributes', (node) => {
      if (node.nodeType === 1) applyOutputPolicy(node as Element);
    });
    return purify;
  }

  /** Label of the copy button on code blocks (follows the UI language). */
  setCopyLabel(label: string): void {
    if (label === this.#copyLabel) return;
    this.#copyLabel = label;
    this.#cache.clear();
  }

  /** Texts of the remote-image placeholder (follow the UI language). */
  setImageLabels(labels: ImageLabels): void {
    const cur = this.#imageLabels;
    if (Object.keys(labels).every((k) => labels[k as keyof ImageLabels] === cur[k as keyof ImageLabels])) return;
    this.#imageLabels = { ...labels };
    this.#cache.clear();
  }

  /** The whole document as one sanitised string. */
  render(src: string): string {
    return this.blocks(src)
      .map((b) => b.html)
      .join('');
  }

  /**
   * Sanitised HTML per top-level block. Unchanged blocks come from the cache.
   * With `state` (one per growing message), text appended since the last
   * call is lexed from a few blocks back instead of from the start, so the
   * cost of a streaming frame does not grow with the length of the answer.
   */
  blocks(src: string, state?: IncrementalState): Block[] {
    const { tokens, links } = this.#lex(src, state);
    const cacheable = Object.keys(links).length === 0; // reference links make a block depend on others
    const out: Block[] = [];
    let i = 0;
    for (const token of tokens) {
      if (token.type === 'space') continue;
      let html = cacheable ? this.#cache.get(token.raw) : undefined;
      if (html === undefined) {
        html = this.#renderToken(token, links);
        if (cacheable) this.#remember(token.raw, html);
      }
      out.push({ key: `${i++}`, html });
    }
    return out;
  }

  #lex(src: string, state?: IncrementalState): { tokens: Token[]; links: TokensList['links'] } {
    const text = src.replace(/\r\n|\r/g, '\n');
    if (state?.ok && state.tokens.length > reLex && text.startsWith(state.src)) {
      // Blocks before the last few cannot change when text is appended.
      const kept = state.tokens.slice(0, state.tokens.length - reLex);
      const offset = kept.reduce((n, t) => n + t.raw.length, 0);
      const tail = this.#marked.lexer(text.slice(offset));
      const links = { ...state.links, ...tail.links };
      const tokens = kept.concat(tail);
      Object.assign(state, { src: text, tokens, links });
      return { tokens, links };
    }
    const list = this.#marked.lexer(text);
    const tokens = [...list];
    if (state) {
      // Only resume from a prefix when the blocks tile the text exactly.
      const ok = tokens.reduce((n, t) => n + t.raw.length, 0) === text.length;
      Object.assign(state, { src: text, tokens, links: list.links ?? {}, ok });
    }
    return { tokens, links: list.links ?? {} };
  }

  /** Sanitises an HTML string with the same policy (exposed for tests and exports). */
  sanitize(html: string): string {
    const frag = this.#purify.sanitize(html) as unknown as DocumentFragment;
    placeRemoteImages(frag, this.#imageLabels);
    const box = frag.ownerDocument.createElement('div');
    box.append(frag);
    return box.innerHTML;
  }

  #renderToken(token: Token, links: TokensList['links']): string {
    const list = Object.assign([token], { links }) as Token[];
    const raw = this.#marked.parser(list);
    return this.sanitize(raw);
  }

  #remember(key: string, html: string): void {
    if (this.#cache.size >= this.#cacheLimit) this.#cache.clear();
    this.#cache.set(key, html);
  }

  #code(text: string, info: string): string {
    registerLanguages();
    const lang = (info.match(/^\S*/)?.[0] ?? '').toLowerCase();
    let body: string;
    let shown = lang;
    if (lang && hljs.getLanguage(lang)) {
      body = hljs.highlight(text, { language: lang, ignoreIllegals: true }).value;
    } else if (!lang && text.length < 3000) {
      const guess = hljs.highlightAuto(text, guessable);
      body = guess.relevance >= 6 ? guess.value : escapeHtml(text);
      if (guess.relevance >= 6) shown = guess.language ?? '';
    } else {
      body = escapeHtml(text);
    }
    const cls = lang ? ` language-${escapeHtml(lang)}` : '';
    return (
      `<div class="code-block"><div class="code-head"><span class="code-lang">${escapeHtml(shown)}</span>` +
      `<button type="button" class="copy-code">${escapeHtml(this.#copyLabel)}</button></div>` +
      `<pre><code class="hljs${cls}">${body}</code></pre></div>`
    );
  }
}
