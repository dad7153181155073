import type { MessageKey } from './i18n.svelte';
import type { Message } from './protocol';

/**
 * How an answer presents itself beyond its text: its reasoning block, the
 * note on how it ended, and whether it can be continued. Pure functions of
 * the message (and the clock), so the rules are tested without a DOM.
 */

/** Continue is offered for answers that ended early, and complete ones cut at the length limit. */
export function continuable(m: Message): boolean {
  if (m.role !== 'assistant') return false;
  if (m.status === 'interrupted' || m.status === 'failed' || m.status === 'stopped') return true;
  return m.status === 'complete' && m.finish_reason === 'length';
}

/** The server started a new answer instead of continuing: offer Regenerate. */
export function restarted(m: Message): boolean {
  return m.status === 'failed' && m.error_kind === 'new_turn';
}

/** The note under a complete answer whose end is worth saying, or null. */
export function finishNote(m: Message): MessageKey | null {
  if (m.role !== 'assistant' || m.status !== 'complete') return null;
  switch (m.finish_reason) {
    case 'length':
      return m.content === '' && m.reasoning ? 'answer.cutWhileThinking' : 'answer.cutAtLength';
    case 'content_filter':
      return 'answer.contentFilter';
    case 'tool_calls':
    case 'function_call':
      return 'answer.toolCalls';
  }
  return null;
}

/** The model is reasoning right now: streaming, with reasoning and no answer text yet. */
export function thinking(m: Message): boolean {
  return m.status === 'streaming' && !!m.reasoning && m.content === '';
}

/**
 * How long the model reasoned, in ms: the server's figure once it has one;
 * while it reasons, the time since it began; null when not known.
 * `endedAt` is when this window saw the answer's text begin (the server's
 * figure only arrives with the finished message).
 */
export function reasoningMs(m: Message, now: number, endedAt: number | null): number | null {
  if (m.reasoning_ms !== undefined && m.reasoning_ms !== null) return m.reasoning_ms;
  if (!m.reasoning_started_at) return null;
  const start = Date.parse(m.reasoning_started_at);
  if (!Number.isFinite(start)) return null;
  const end = thinking(m) ? now : endedAt;
  return end === null ? null : Math.max(0, end - start);
}

/** "2.4 s" under ten seconds, "12 s" above, "1 min 5 s" past a minute. */
export function formatDuration(ms: number, locale: string): string {
  const zh = locale === 'zh';
  if (ms < 10_000) return `${(Math.floor(ms / 100) / 10).toFixed(1)}${zh ? ' 秒' : ' s'}`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}${zh ? ' 秒' : ' s'}`;
  return zh ? `${Math.floor(s / 60)} 分 ${s % 60} 秒` : `${Math.floor(s / 60)} min ${s % 60} s`;
}
