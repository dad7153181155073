import type { Api } from '../api';
import type { ReportError } from '../errors';
import { HttpError } from '../http';
import type { Model } from '../protocol';

const modelKey = 'holdfast.model';

export interface ModelsOptions {
  api: Pick<Api, 'models' | 'health'>;
  storage: { getItem(k: string): string | null; setItem(k: string, v: string): void };
  onError?: ReportError;
}

/**
 * The models the server offers, the one new chats start with (the user's
 * last choice while the server still offers it), and the server's version,
 * read along with them.
 */
export class Models {
  #list = $state.raw<readonly Model[]>([]);
  #default = $state('demo/demo');
  #version = $state('');
  readonly #opts: ModelsOptions;

  constructor(opts: ModelsOptions) {
    this.#opts = opts;
  }

  get list(): readonly Model[] {
    return this.#list;
  }

  get defaultModel(): string {
    return this.#default;
  }

  get version(): string {
    return this.#version;
  }

  find(id: string): Model | undefined {
    return this.#list.find((m) => m.id === id);
  }

  async load(): Promise<void> {
    try {
      const [{ data }, health] = await Promise.all([this.#opts.api.models(), this.#opts.api.health().catch(() => null)]);
      this.#list = data.models;
      const saved = this.#opts.storage.getItem(modelKey);
      this.#default = saved && data.models.some((m) => m.id === saved) ? saved : data.default;
      if (health) this.#version = health.data.version;
    } catch (err) {
      // Models are a nicety; the stream's own retries will show connectivity problems.
      if (err instanceof HttpError) this.#opts.onError?.('models', err);
    }
  }

  /** The user picked a model: new chats start with it, in this window and the next. */
  choose(model: string): void {
    this.#default = model;
    this.#opts.storage.setItem(modelKey, model);
  }
}
