import { describe, expect, it } from 'vitest';
import type { Api } from '../api';
import type { Message, MessagePage, Session } from '../protocol';
import type { StreamEvent } from '../stream/types';
import type { OutboxItem } from '../stream/outbox';
import type { Delivered } from './pending.svelte';
import { Conversation } from './conversation.svelte';

const T = '2026-11-22T10:00:00.000Z';
const msg = (id: string, parent_id: string | null, over: Partial<Message> = {}): Message => ({
  id,
  session_id: 's1',
  role: 'assistant',
  content: '',
  status: 'complete',
  chunks: 0,
  created_at: T,
  updated_at: T,
  parent_id,
  ...over,
});
const session = { id: 's1', title: 't', model: 'demo/demo', created_at: T, updated_at: T, message_count: 4 } as Session;
const ev = (type: string, data: unknown): StreamEvent => ({ type, data, id: null }) as unknown as StreamEvent;
const delta = (message_id: string, index: number, text: string) => ev('message.delta', { message_id, session_id: 's1', index, text });

/** A deferred answer, so a test can deliver events while a request is in flight. */
function later<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function setup() {
  const calls: string[] = [];
  const answers: { list: MessagePage[]; switch: { page: MessagePage }[] } = { list: [], switch: [] };
  let gate: ReturnType<typeof later<void>> | null = null;
  const api = {
    listMessages: async (_id: string, o: { before?: string; after?: string; around?: string } = {}) => {
      calls.push(`list ${o.after ? `after=${o.after}` : o.before ? `before=${o.before}` : 'end'}`);
      if (gate) await gate.promise;
      return { data: answers.list.shift()!, head: null };
    },
    switchBranch: async (_s: string, m: string) => {
      calls.push(`switch ${m}`);
      if (gate) await gate.promise;
      return { data: { session, ...answers.switch.shift()! }, head: null };
    },
    edit: async (id: string, body: { content: string }) => {
      calls.push(`edit ${id}`);
      return {
        data: {
          user: msg('u1b', null, { role: 'user', content: body.content, siblings: ['u1', 'u1b'], sibling_index: 1 }),
          assistant: msg('a1b', 'u1b', { status: 'streaming', siblings: ['a1b'], sibling_index: 0 }),
        },
        head: null,
      };
    },
  } as unknown as Api;
  const storage = new Map<string, string>();
  const sessions: Session[] = [];
  // The outbox, delivering at once: each control goes to the API and its
  // answer back to the conversation, as PendingMessages does when online.
  let delivering: Promise<void> = Promise.resolve();
  const outbox = (item: OutboxItem) => {
    delivering = (async () => {
      const { data } = await (api as unknown as { edit: (id: string, b: { content: string }) => Promise<{ data: unknown }> }).edit(item.messageId!, { content: item.content });
      c.delivered(item, { data } as Delivered);
    })();
  };
  const c = new Conversation({
    api,
    outbox,
    storage: { getItem: (k) => storage.get(k) ?? null, setItem: (k, v) => void storage.set(k, v), removeItem: (k) => void storage.delete(k) },
    frame: (cb) => cb(),
    newId: () => 'cid',
    onSession: (s) => sessions.push(s),
  });
  return { c, calls, answers, sessions, hold: () => (gate = later<void>()), release: () => gate?.resolve(), delivered: () => delivering };
}

// u1 → a1 (versions a0, a1; a1 streaming)
const shown = () => [
  msg('u1', null, { role: 'user', content: 'q', siblings: ['u1'], sibling_index: 0 }),
  msg('a1', 'u1', { status: 'streaming', content: 'ab', chunks: 2, siblings: ['a0', 'a1'], sibling_index: 1 }),
];

describe('Conversation on a tree', () => {
  it('switches away from a streaming answer and back: it has kept streaming, nothing shown twice', async () => {
    const h = setup();
    h.answers.list.push({ messages: shown(), has_more: false });
    await h.c.open('s1');
    expect(h.c.streaming?.id).toBe('a1');

    // To version 1 while version 2 streams; its deltas arrive during the request and after.
    h.answers.switch.push({ page: { messages: [msg('u1', null, { role: 'user' }), msg('a0', 'u1', { content: 'old', siblings: ['a0', 'a1'], sibling_index: 0 })], has_more: false } });
    h.hold();
    const away = h.c.switchTo('a0');
    h.c.receive(delta('a1', 2, 'c'));
    h.release();
    await away;
    h.c.receive(delta('a1', 3, 'd'));
    expect(h.c.messages.map((m) => `${m.id}:${m.content}`)).toEqual(['u1:q', 'a0:old']);
    expect(h.c.streaming).toBeNull();

    // Back: the page has what was written meanwhile; later deltas continue it.
    h.answers.switch.push({ page: { messages: [msg('u1', null, { role: 'user' }), msg('a1', 'u1', { status: 'streaming', content: 'abcd', chunks: 4, siblings: ['a0', 'a1'], sibling_index: 1 })], has_more: false } });
    await h.c.switchTo('a1');
    h.c.receive(delta('a1', 3, 'd')); // a replay
    h.c.receive(delta('a1', 4, 'e'));
    expect(h.c.messages.map((m) => `${m.id}:${m.content}`)).toEqual(['u1:q', 'a1:abcde']);
    expect(h.calls).toEqual(['list end', 'switch a0', 'switch a1']);
    expect(h.sessions).toHaveLength(2);
  });

  it('follows a branch switched elsewhere: keeps the part above and loads the rest after its parent', async () => {
    const h = setup();
    h.answers.list.push({ messages: shown(), has_more: true });
    await h.c.open('s1');
    h.answers.list.push({ messages: [msg('a0', 'u1', { content: 'old', siblings: ['a0', 'a1'], sibling_index: 0 })], has_more: true });
    h.c.receive(ev('branch.switched', { session_id: 's1', leaf_id: 'a0', message_id: 'a0', session }));
    await Promise.resolve();
    await new Promise((r) => setTimeout(r, 0));
    expect(h.calls).toEqual(['list end', 'list after=u1']);
    expect(h.c.messages.map((m) => m.id)).toEqual(['u1', 'a0']);
    expect(h.c.hasMore).toBe(true);
    // The same news again (this window's own action answered first): nothing to load.
    h.c.receive(ev('branch.switched', { session_id: 's1', leaf_id: 'a0', message_id: 'a0', session }));
    await new Promise((r) => setTimeout(r, 0));
    expect(h.calls).toHaveLength(2);
  });

  it('edits the first message: the new branch replaces the view at once, and its own branch.switched loads nothing', async () => {
    const h = setup();
    h.answers.list.push({ messages: shown(), has_more: false });
    await h.c.open('s1');
    // The page after the delivery: the new branch as the server has it.
    h.answers.list.push({
      messages: [
        msg('u1b', null, { role: 'user', content: 'new question', siblings: ['u1', 'u1b'], sibling_index: 1 }),
        msg('a1b', 'u1b', { status: 'streaming', siblings: ['a1b'], sibling_index: 0 }),
      ],
      has_more: false,
    });
    h.c.edit('u1', ' new question ');
    await h.delivered();
    expect(h.c.messages.map((m) => m.id)).toEqual(['u1b', 'a1b']); // at once, before the page
    h.c.receive(ev('message.created', msg('a1b', 'u1b', { status: 'streaming', siblings: ['a1b'] })));
    h.c.receive(ev('branch.switched', { session_id: 's1', leaf_id: 'a1b', message_id: 'u1b', session }));
    h.c.receive(delta('a1b', 0, 'fresh'));
    await new Promise((r) => setTimeout(r, 0));
    expect(h.c.messages.map((m) => `${m.id}:${m.content}`)).toEqual(['u1b:new question', 'a1b:fresh']);
    expect(h.c.messages[0]).toMatchObject({ siblings: ['u1', 'u1b'], sibling_index: 1 });
    expect(h.calls).toEqual(['list end', 'edit u1', 'list end']);
  });

  it('an edit whose answer the stream finished before the edit request answered shows it finished', async () => {
    const h = setup();
    h.answers.list.push({ messages: shown(), has_more: false });
    await h.c.open('s1');
    // The stream is quicker than the POST: creations, deltas and the end arrive while it is in flight.
    h.answers.list.push({
      messages: [
        msg('u1b', null, { role: 'user', content: 'new question', siblings: ['u1', 'u1b'], sibling_index: 1 }),
        msg('a1b', 'u1b', { status: 'complete', content: 'done', chunks: 1, siblings: ['a1b'], sibling_index: 0 }),
      ],
      has_more: false,
    });
    h.c.edit('u1', 'new question');
    h.c.receive(ev('message.created', msg('u1b', null, { role: 'user', content: 'new question', siblings: ['u1', 'u1b'] })));
    h.c.receive(ev('message.created', msg('a1b', 'u1b', { status: 'streaming', siblings: ['a1b'] })));
    h.c.receive(delta('a1b', 0, 'done'));
    h.c.receive(ev('message.completed', msg('a1b', 'u1b', { status: 'complete', content: 'done', chunks: 1 })));
    await h.delivered();
    await new Promise((r) => setTimeout(r, 0)); // the page after it
    expect(h.c.messages.map((m) => `${m.id}:${m.status}:${m.content}`)).toEqual(['u1b:complete:new question', 'a1b:complete:done']);
    expect(h.c.streaming).toBeNull();
  });

  it('opens a search hit on its branch with the page around it, and says where to scroll', async () => {
    const h = setup();
    h.answers.switch.push({
      page: { messages: [msg('m499', 'm498'), msg('m500', 'm499', { role: 'user', content: 'zanzibar' }), msg('m501', 'm500')], has_more: true, has_newer: true },
    });
    await h.c.openAt('s1', 'm500', ['zanzibar']);
    expect(h.c.id).toBe('s1');
    expect(h.c.messages.map((m) => m.id)).toEqual(['m499', 'm500', 'm501']);
    expect(h.c.hasNewer && h.c.hasMore).toBe(true);
    const target = h.c.target!;
    expect(target).toMatchObject({ messageId: 'm500', terms: ['zanzibar'] });
    // New messages at the end of the path do not land below a page from the middle.
    h.c.receive(ev('message.created', msg('m9999', 'm9998', { role: 'user' })));
    expect(h.c.messages).toHaveLength(3);
    h.c.reached(target.seq);
    expect(h.c.target).toBeNull();
    // Opening the chat again from the sidebar goes to the end of its path.
    h.answers.list.push({ messages: [msg('m9998', 'm9997'), msg('m9999', 'm9998')], has_more: true });
    await h.c.open('s1');
    expect(h.c.messages.map((m) => m.id)).toEqual(['m9998', 'm9999']);
    expect(h.c.hasNewer).toBe(false);
  });
});
