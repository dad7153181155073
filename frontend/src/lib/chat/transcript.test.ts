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

  it('prepends older and appends newer pages, each message once', () => {
    const { t } = setup();
    t.replace({ messages: [msg('m3'), msg('m4'), msg('m5')], has_more: true, has_newer: true });
    expect(t.prepend({ messages: [msg('m1'), msg('m2'), msg('m3')], has_more: false })).toBe(2);
    expect(t.hasMore).toBe(false);
    expect(t.append({ messages: [msg('m5'), msg('m6')], has_more: true, has_newer: false })).toBe(1);
    expect(t.hasNewer).toBe(false);
    expect(t.messages.map((m) => m.id)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
  });
});

describe('Transcript of a tree', () => {
  // A path u1 → a1 → u2 → a2; u2 has a sibling u2b (an edit) with its answer a2b.
  const path = () => [
    msg('u1', { role: 'user', parent_id: null, siblings: ['u1'], sibling_index: 0, status: 'complete' }),
    msg('a1', { parent_id: 'u1', siblings: ['a1'], sibling_index: 0, status: 'complete' }),
    msg('u2', { role: 'user', parent_id: 'a1', siblings: ['u2', 'u2b'], sibling_index: 0, status: 'complete' }),
    msg('a2', { parent_id: 'u2', siblings: ['a2'], sibling_index: 0, status: 'complete' }),
  ];

  it('appends only what continues the shown path', () => {
    const { t } = setup();
    t.replace({ messages: path(), has_more: false });
    expect(t.upsert(msg('u3', { role: 'user', parent_id: 'a2', siblings: ['u3'] }), 'created')).toBe(true);
    expect(t.upsert(msg('a3', { parent_id: 'u3', siblings: ['a3'] }), 'created')).toBe(true);
    // An answer on another branch: not shown, but its siblings learn of it.
    expect(t.upsert(msg('a2x', { parent_id: 'u2', siblings: ['a2', 'a2x'], sibling_index: 1 }), 'created')).toBe(false);
    expect(t.messages.map((m) => m.id)).toEqual(['u1', 'a1', 'u2', 'a2', 'u3', 'a3']);
    expect(t.messages[3]).toMatchObject({ siblings: ['a2', 'a2x'], sibling_index: 0 });
    // Deltas of the hidden answer are not applied anywhere (they are in its snapshot when shown).
    expect(t.delta({ message_id: 'a2x', session_id: 's1', index: 5, text: 'x' })).toBe(true);
  });

  it('appends nothing below a page opened in the middle of the path', () => {
    const { t } = setup();
    t.replace({ messages: path().slice(0, 2), has_more: false, has_newer: true });
    expect(t.upsert(msg('u9', { role: 'user', parent_id: 'a1' }), 'created')).toBe(false);
    expect(t.messages.map((m) => m.id)).toEqual(['u1', 'a1']);
  });

  it('places a regenerated answer or an edit where the server put it, dropping the old branch from view', () => {
    const { t } = setup();
    t.replace({ messages: path(), has_more: false });
    expect(t.place(msg('u2b', { role: 'user', parent_id: 'a1', siblings: ['u2', 'u2b'], sibling_index: 1 }))).toBe(true);
    expect(t.place(msg('a2b', { parent_id: 'u2b', siblings: ['a2b'], sibling_index: 0 }))).toBe(true);
    expect(t.messages.map((m) => m.id)).toEqual(['u1', 'a1', 'u2b', 'a2b']);
    // A repeat (the event after the answer) changes nothing.
    expect(t.place(msg('a2b', { parent_id: 'u2b' }))).toBe(true);
    expect(t.messages.map((m) => m.id)).toEqual(['u1', 'a1', 'u2b', 'a2b']);
    // A parent not loaded, or no tree at all: the caller reloads.
    expect(t.place(msg('zz', { parent_id: 'nowhere' }))).toBe(false);
    expect(t.place(msg('zz'))).toBe(false);
  });

  it('grafts a switched branch below the unchanged part', () => {
    const { t } = setup();
    t.replace({ messages: path(), has_more: true });
    // The page around u2b begins above the branch point.
    const page = {
      messages: [
        msg('a1', { parent_id: 'u1', status: 'complete' }),
        msg('u2b', { role: 'user', parent_id: 'a1', siblings: ['u2', 'u2b'], sibling_index: 1 }),
        msg('a2b', { parent_id: 'u2b', content: 'so far', chunks: 3 }),
      ],
      has_more: true,
      has_newer: false,
    };
    expect(t.graft('a1', page)).toBe(true);
    expect(t.messages.map((m) => m.id)).toEqual(['u1', 'a1', 'u2b', 'a2b']);
    expect(t.hasMore).toBe(true); // what is above stays as it was
    // The answer still streaming there goes on from where the page has it.
    expect(t.delta({ message_id: 'a2b', session_id: 's1', index: 3, text: '!' })).toBe(true);
    t.flush();
    expect(t.messages[3].content).toBe('so far!');
    // A page that does not reach the branch point cannot be grafted.
    expect(t.graft('a1', { messages: [msg('x', { parent_id: 'elsewhere' })], has_more: true })).toBe(false);
    expect(t.graft('nope', page)).toBe(false);
    // From the chat's start.
    expect(t.graft(null, { messages: [msg('u1b', { parent_id: null })], has_more: false })).toBe(true);
    expect(t.messages.map((m) => m.id)).toEqual(['u1b']);
  });

  it('removes a deleted branch and the deleted message from its siblings', () => {
    const { t } = setup();
    t.replace({ messages: path(), has_more: false });
    t.removeBranch('u2b', 'a1'); // not shown: only the siblings change
    expect(t.messages[2]).toMatchObject({ id: 'u2', siblings: ['u2'], sibling_index: 0 });
    t.removeBranch('u2', 'a1'); // shown: it and everything below leave
    expect(t.messages.map((m) => m.id)).toEqual(['u1', 'a1']);
  });

  it('tells when a shown answer stops streaming, once, however the events were batched', () => {
    const done: string[] = [];
    const t = new Transcript((cb) => cb(), (m) => done.push(`${m.id}:${m.status}`));
    t.replace({ messages: path(), has_more: false });
    t.upsert(msg('u3', { role: 'user', parent_id: 'a2', status: 'complete' }), 'created');
    t.upsert(msg('a3', { parent_id: 'u3', status: 'streaming' }), 'created');
    t.upsert(msg('a3', { parent_id: 'u3', status: 'complete', content: 'x', chunks: 1 }), 'final');
    t.upsert(msg('a3', { parent_id: 'u3', status: 'complete', content: 'x', chunks: 1 }), 'final'); // a replay
    t.upsert(msg('a2x', { parent_id: 'u2', status: 'complete' }), 'final'); // not shown
    expect(done).toEqual(['a3:complete']);
  });

  it('keeps siblings an event leaves out', () => {
    const { t } = setup();
    t.replace({ messages: path(), has_more: false });
    t.upsert(msg('u2', { role: 'user', parent_id: 'a1', status: 'complete', content: 'edited?', chunks: 1 }), 'final');
    expect(t.messages[2]).toMatchObject({ siblings: ['u2', 'u2b'], sibling_index: 0 });
  });
});

describe('Transcript reasoning', () => {
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
});
