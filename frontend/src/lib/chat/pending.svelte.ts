import type { Api } from '../api';
import type { ReportError } from '../errors';
import { HttpError, isFatalStatus } from '../http';
import type { Message, MessagePair } from '../protocol';
import { Outbox, PermanentSendError, type OutboxItem, type OutboxStorage } from '../stream/outbox';

export interface PendingMessagesOptions {
  api: Pick<Api, 'sendMessage'>;
  storage: OutboxStorage;
  /** The open chat: its pending messages show until the server has echoed them. */
  chat: { readonly id: string | null; readonly messages: readonly Message[] };
  /** The server stored a message: the user's and the assistant's placeholder. */
  onSent?: (pair: MessagePair) => void;
  onError?: ReportError;
}

/**
 * Messages the user sent that the server has not confirmed yet, as the UI
 * shows them. The outbox underneath keeps them in storage and posts them in
 * order; a rejection retrying cannot fix (a 4xx) drops one and reports it.
 */
export class PendingMessages {
  #items = $state.raw<readonly OutboxItem[]>([]);
  #here = $derived(
    this.#items.filter((o) => o.sessionId === this.#opts.chat.id && !this.#opts.chat.messages.some((m) => m.client_id === o.clientId)),
  );
  readonly #opts: PendingMessagesOptions;
  readonly #outbox: Outbox<MessagePair>;

  constructor(opts: PendingMessagesOptions) {
    this.#opts = opts;
    this.#outbox = new Outbox<MessagePair>({
      storage: opts.storage,
      send: (item) => this.#post(item),
      onSent: (_item, pair) => opts.onSent?.(pair),
      onRejected: (_item, err) => opts.onError?.('send', new PermanentSendError(err.message)),
      onChange: (items) => (this.#items = items),
    });
    this.#items = this.#outbox.items;
  }

  /** Every pending item, oldest first. */
  get items(): readonly OutboxItem[] {
    return this.#items;
  }

  /** Items of the open chat that the server has not echoed back yet. */
  get here(): readonly OutboxItem[] {
    return this.#here;
  }

  /** Stores the item, then posts it now if it can. */
  add(item: OutboxItem): void {
    void this.#outbox.add(item);
  }

  discard(clientId: string): void {
    this.#outbox.remove(clientId);
  }

  /** Posts everything pending (the stream went live). */
  flush(): Promise<void> {
    return this.#outbox.flush();
  }

  async #post(item: OutboxItem): Promise<MessagePair> {
    try {
      const { data } = await this.#opts.api.sendMessage(item.sessionId, {
        content: item.content,
        client_id: item.clientId,
        model: item.model,
        attachments: item.attachments?.length ? item.attachments : undefined,
      });
      return data;
    } catch (err) {
      if (err instanceof HttpError && isFatalStatus(err.status)) throw new PermanentSendError(err.message);
      throw err;
    }
  }
}
