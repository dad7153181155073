import { describe, expect, it } from 'vitest';
import type { Message } from '../protocol';
import { Transcript } from './transcript.svelte';

const T = '2026-11-22T10:00:00.000Z';
const msg = (id: string, over: Partial<Message> = {}): Message => ({
  id,
  session_id: 's1',
  role: 'assistant',
  content: '',
  status: 'streaming',
  chunks: 0,
  created_at: T,
  updated_at: T,
  ...over,
});
const delta = (index: number, text: string, message_id = 'm2') => ({ message_id, session_id: 's1', index, text });

function setup() {
  const frames: (() => void)[] = [];
  const t = new Transcript((cb) => frames.push(cb));
  return { t, frames, runFrames: () => frames.splice(0).forEach((f) => f()) };
}

describe('Transcript', () => {
  it('keeps messages in id order and reports only new ones', () => {
    const { t } = setup();
    expect(t.upsert(msg('m3'), 'created')).toBe(true);
    expect(t.upsert(msg('m1'), 'created')).toBe(true);
    expect(t.upsert(msg('m2'), 'created')).toBe(true);
    expect(t.upsert(msg('m2', { content: 'x' }), 'created')).toBe(false);
    expect(t.messages.map((m) => m.id)).toEqual(['m1', 'm2', 'm3']);
    expect(t.messages[1].content).toBe('');
  });

  it('leaves a message older than a partial page to the history', () => {
    const { t } = setup();
    t.replace({ messages: [msg('m5')], has_more: true });
    expect(t.upsert(msg('m1'), 'created')).toBe(false);
    expect(t.messages.map((m) => m.id)).toEqual(['m5']);
  });

  it('buffers deltas until the frame, drops repeats and reports a hole', () => {
    const { t, frames, runFrames } = setup();
    t.replace({ messages: [msg('m2', { content: 'a', chunks: 1 })], has_more: false });
    expect(t.delta(delta(0, 'a'))).toBe(true); // in the snapshot already
    expect(t.delta(delta(1, 'b'))).toBe(true);
    expect(t.delta(delta(1, 'b'))).toBe(true); // replayed
    expect(t.delta(delta(2, 'c'))).toBe(true);
    expect(frames).toHaveLength(1);
    expect(t.messages[0].content).toBe('a');
    expect(t.delta(delta(4, 'e'))).toBe(false); // 3 is missing
    runFrames();
    expect(t.messages[0]).toMatchObject({ content: 'abc', chunks: 3 });
  });

  it('flushes buffered text before a final state, which wins only when newer', () => {
    const { t } = setup();
    t.replace({ messages: [msg('m2', { content: 'ab', chunks: 2 })], has_more: false });
    t.delta(delta(2, 'c'));
    t.upsert(msg('m2', { content: 'ab', chunks: 2, status: 'interrupted' }), 'final'); // stale
    expect(t.messages[0]).toMatchObject({ content: 'abc', chunks: 3, status: 'streaming' });
    t.upsert(msg('m2', { content: 'abcd', chunks: 4, status: 'complete' }), 'final');
    expect(t.messages[0]).toMatchObject({ content: 'abcd', status: 'complete' });
    expect(t.streaming).toBeNull();
  });

  it('prepends only unknown older messages, and truncates from an edited one', () => {
    const { t } = setup();
    t.replace({ messages: [msg('m3'), msg('m4'), msg('m5')], has_more: true });
    expect(t.prepend({ messages: [msg('m1'), msg('m2'), msg('m3')], has_more: false })).toBe(2);
    expect(t.hasMore).toBe(false);
    t.truncate('m4');
    expect(t.messages.map((m) => m.id)).toEqual(['m1', 'm2', 'm3']);
    t.remove('m2');
    expect(t.messages.map((m) => m.id)).toEqual(['m1', 'm3']);
  });

  it('keeps reasoning on its own numbering, buffered and deduplicated like text', () => {
    const { t, runFrames } = setup();
    t.replace({ messages: [msg('m2', { reasoning: 'Let', reasoning_chunks: 1 })], has_more: false });
    expect(t.reasoning(delta(0, 'Let'))).toBe(true); // in the snapshot
    expect(t.reasoning(delta(1, ' me'))).toBe(true);
    expect(t.delta(delta(0, 'The'))).toBe(true); // text numbers from 0 on its own
    expect(t.reasoning(delta(1, ' me'))).toBe(true); // replayed
    expect(t.reasoning(delta(3, '!'))).toBe(false); // 2 is missing: reload
    runFrames();
    expect(t.messages[0]).toMatchObject({ reasoning: 'Let me', reasoning_chunks: 2, content: 'The', chunks: 1 });
  });

  it('takes a final copy with reasoning only when it is as far along, and clears what it leaves out', () => {
    const { t } = setup();
    t.replace({ messages: [msg('m2', { reasoning: 'ab', reasoning_chunks: 2, finish_reason: 'length', status: 'complete' })], has_more: false });
    // A continuation revives it; the server's copy has no finish reason any more.
    t.upsert(msg('m2', { reasoning: 'ab', reasoning_chunks: 2, status: 'streaming', updated_at: '2026-11-22T10:00:01.000Z' }), 'continued');
    expect(t.messages[0].finish_reason).toBeUndefined();
    t.reasoning(delta(2, 'c'));
    // A stale final copy (fewer chunks in all) does not undo streamed reasoning.
    t.upsert(msg('m2', { reasoning: 'ab', reasoning_chunks: 2, status: 'stopped', updated_at: '2026-11-22T10:00:02.000Z' }), 'final');
    expect(t.messages[0]).toMatchObject({ reasoning: 'abc', reasoning_chunks: 3, status: 'streaming' });
    t.upsert(msg('m2', { reasoning: 'abc', reasoning_chunks: 3, content: 'x', chunks: 1, reasoning_ms: 1200, status: 'complete', finish_reason: 'stop' }), 'final');
    expect(t.messages[0]).toMatchObject({ reasoning: 'abc', content: 'x', reasoning_ms: 1200, finish_reason: 'stop', status: 'complete' });
  });

  it('keeps an edit’s new messages that the stream delivered before the edit answered', () => {
    const { t } = setup();
    t.replace({ messages: [msg('m1'), msg('m2'), msg('m3')], has_more: false });
    t.upsert(msg('m7', { content: 'edited' }), 'created');
    t.upsert(msg('m8', { content: 'answer', status: 'complete', chunks: 1 }), 'created');
    t.truncate('m2', 'm7');
    expect(t.messages.map((m) => m.id)).toEqual(['m1', 'm7', 'm8']);
    expect(t.messages[2]).toMatchObject({ content: 'answer', status: 'complete' });
  });
});
