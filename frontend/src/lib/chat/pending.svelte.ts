import type { Api } from '../api';
import type { ReportError } from '../errors';
import { HttpError, isFatalStatus } from '../http';
import type { Message } from '../protocol';
import type { OfflineFiles } from '../attachments/offline';
import { Outbox, PermanentSendError, kindOf, type OutboxItem, type OutboxKind, type OutboxStorage } from '../stream/outbox';

export interface PendingMessagesOptions {
  api: Pick<Api, 'sendMessage' | 'stop' | 'continueMessage' | 'regenerate' | 'edit' | 'deleteSession'>;
  storage: OutboxStorage;
  /** The open chat: its pending messages show until the server has echoed them. */
  chat: { readonly id: string | null; readonly messages: readonly Message[] };
  /** The server did what an item asked (or had nothing left to do: `moot`). */
  onDone?: (item: OutboxItem, result: Delivered) => void;
  onError?: ReportError;
  /** Files of messages queued offline, kept in the browser until sent. */
  files?: OfflineFiles;
}

/**
 * What the server answered a delivered item: its data (a MessagePair for a
 * send or an edit, the Message for the other message controls), or, when
 * there was nothing left to do, why (the answer had ended before a Stop
 * arrived; a resent Regenerate found the old answer already replaced).
 */
export interface Delivered {
  data?: unknown;
  moot?: HttpError;
}

/**
 * Answers a control may get that mean its work is done or moot, not that it
 * failed: a Stop of an answer that has ended (409), anything about a message
 * or chat that is gone (404), a Continue the answer no longer needs (409)
 * or its provider cannot do (422: the message then offers Regenerate).
 */
function isMoot(kind: OutboxKind, err: HttpError): boolean {
  switch (kind) {
    case 'send':
      return false;
    case 'stop':
      return err.status === 404 || err.status === 409;
    case 'continue':
      return err.status === 404 || err.status === 409 || err.code === 'cannot_continue';
    case 'regenerate':
    case 'edit':
    case 'delete-chat':
      return err.status === 404;
  }
}

/**
 * Requests the user made that the server has not confirmed yet — messages
 * and controls (stop, continue, regenerate, edit, delete a chat) alike — as
 * the UI shows them. The outbox underneath keeps them in storage and
 * delivers them in order; a rejection retrying cannot fix (a 4xx) drops one
 * and reports it.
 */
export class PendingMessages {
  #items = $state.raw<readonly OutboxItem[]>([]);
  #here = $derived(
    this.#items.filter(
      (o) =>
        kindOf(o) === 'send' &&
        o.sessionId === this.#opts.chat.id &&
        !this.#opts.chat.messages.some((m) => m.client_id === o.clientId),
    ),
  );
  readonly #opts: PendingMessagesOptions;
  readonly #outbox: Outbox<Delivered>;

  constructor(opts: PendingMessagesOptions) {
    this.#opts = opts;
    const files = opts.files;
    this.#outbox = new Outbox<Delivered>({
      storage: opts.storage,
      prepare: files ? (item) => files.prepare(item) : undefined,
      send: (item) => this.#post(item),
      onSent: (item, result) => {
        // Only now, with the send acknowledged, may the kept files go.
        void files?.release(item);
        opts.onDone?.(item, result);
      },
      onRejected: (item, err) => {
        void files?.release(item);
        opts.onError?.(kindOf(item) === 'send' ? 'send' : kindOf(item), new PermanentSendError(err.message));
      },
      onChange: (items) => (this.#items = items),
    });
    this.#items = this.#outbox.items;
    void files?.sweep(this.#outbox.items);
  }

  /** The kept files of queued messages (for the queued bubble's chips). */
  get files(): OfflineFiles | undefined {
    return this.#opts.files;
  }

  /** Every pending item, oldest first (a Stop may have moved ahead). */
  get items(): readonly OutboxItem[] {
    return this.#items;
  }

  /** Messages of the open chat that the server has not echoed back yet. */
  get here(): readonly OutboxItem[] {
    return this.#here;
  }

  /** Pending controls acting on message `id`, oldest first. */
  about(id: string): readonly OutboxItem[] {
    return this.#items.filter((i) => i.messageId === id);
  }

  /** The Delete of chat `id` waiting to be delivered, if any. */
  deleting(id: string): OutboxItem | undefined {
    return this.#items.find((i) => kindOf(i) === 'delete-chat' && i.sessionId === id);
  }

  /** Stores the item, then delivers it now if it can. */
  add(item: OutboxItem): void {
    void this.#outbox.add(item);
  }

  discard(clientId: string): void {
    const item = this.#outbox.items.find((i) => i.clientId === clientId);
    this.#outbox.remove(clientId);
    if (item) void this.#opts.files?.release(item);
  }

  /** Delivers everything pending (the stream went live). */
  flush(): Promise<void> {
    return this.#outbox.flush();
  }

  async #post(item: OutboxItem): Promise<Delivered> {
    const { api } = this.#opts;
    const kind = kindOf(item);
    const id = item.messageId ?? '';
    try {
      switch (kind) {
        case 'send':
          return {
            data: (
              await api.sendMessage(item.sessionId, {
                content: item.content,
                client_id: item.clientId,
                model: item.model,
                attachments: item.attachments?.length ? item.attachments.map((a) => ({ id: a.id ?? '', name: a.name })) : undefined,
              })
            ).data,
          };
        case 'stop':
          return { data: (await api.stop(id)).data };
        case 'continue':
          return { data: (await api.continueMessage(id)).data };
        case 'regenerate':
          return { data: (await api.regenerate(id, { model: item.model, client_id: item.clientId })).data };
        case 'edit':
          return { data: (await api.edit(id, { content: item.content, client_id: item.clientId })).data };
        case 'delete-chat':
          await api.deleteSession(item.sessionId);
          return {};
      }
    } catch (err) {
      if (err instanceof HttpError) {
        if (isMoot(kind, err)) return { moot: err };
        if (isFatalStatus(err.status)) throw new PermanentSendError(err.message);
      }
      throw err;
    }
  }
}

