import { describe, expect, it } from 'vitest';
import { continuable, finishNote, formatDuration, reasoningMs, restarted, thinking } from './answer';
import type { Message } from './protocol';

const T = '2026-11-22T10:00:00.000Z';
const start = Date.parse(T);
const msg = (over: Partial<Message> = {}): Message => ({
  id: 'm1',
  session_id: 's1',
  role: 'assistant',
  content: '',
  status: 'complete',
  chunks: 0,
  created_at: T,
  updated_at: T,
  ...over,
});

describe('answer presentation', () => {
  it('offers Continue for early ends and for answers cut at the length limit', () => {
    expect(continuable(msg({ status: 'interrupted' }))).toBe(true);
    expect(continuable(msg({ status: 'stopped' }))).toBe(true);
    expect(continuable(msg({ status: 'failed' }))).toBe(true);
    expect(continuable(msg({ finish_reason: 'length' }))).toBe(true);
    expect(continuable(msg({ finish_reason: 'stop' }))).toBe(false);
    expect(continuable(msg({ finish_reason: 'content_filter' }))).toBe(false);
    expect(continuable(msg({ status: 'streaming' }))).toBe(false);
    expect(continuable(msg({ role: 'user', status: 'stopped' }))).toBe(false);
  });

  it('says how an answer ended when that matters', () => {
    expect(finishNote(msg({ finish_reason: 'length', content: 'half' }))).toBe('answer.cutAtLength');
    expect(finishNote(msg({ finish_reason: 'length', reasoning: 'hmm' }))).toBe('answer.cutWhileThinking');
    expect(finishNote(msg({ finish_reason: 'content_filter' }))).toBe('answer.contentFilter');
    expect(finishNote(msg({ finish_reason: 'tool_calls' }))).toBe('answer.toolCalls');
    expect(finishNote(msg({ finish_reason: 'stop' }))).toBeNull();
    expect(finishNote(msg({ finish_reason: 'length', status: 'failed' }))).toBeNull();
    expect(restarted(msg({ status: 'failed', error_kind: 'new_turn' }))).toBe(true);
    expect(restarted(msg({ status: 'failed', error_kind: 'transient' }))).toBe(false);
  });

  it('times the reasoning: live while it runs, frozen when the text begins, the server figure when known', () => {
    const live = msg({ status: 'streaming', reasoning: 'Let me', reasoning_started_at: T });
    expect(thinking(live)).toBe(true);
    expect(reasoningMs(live, start + 3500, null)).toBe(3500);
    const answering = { ...live, content: 'The' };
    expect(thinking(answering)).toBe(false);
    expect(reasoningMs(answering, start + 9000, start + 4000)).toBe(4000);
    expect(reasoningMs(answering, start + 9000, null)).toBeNull();
    expect(reasoningMs({ ...answering, status: 'complete', reasoning_ms: 4200 }, start + 9000, null)).toBe(4200);
    expect(reasoningMs(msg(), start, null)).toBeNull();
  });

  it('formats durations', () => {
    expect(formatDuration(2449, 'en')).toBe('2.4 s');
    expect(formatDuration(0, 'en')).toBe('0.0 s');
    expect(formatDuration(12_400, 'en')).toBe('12 s');
    expect(formatDuration(65_000, 'en')).toBe('1 min 5 s');
    expect(formatDuration(2449, 'zh')).toBe('2.4 秒');
  });
});
