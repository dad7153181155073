import type { Api } from '../api';
import type { ReportError } from '../errors';
import { HttpError } from '../http';
import type { Model, ProviderInfo } from '../protocol';

/** One provider's group in the model picker. */
export interface ModelGroup {
  provider: ProviderInfo;
  models: Model[];
}

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
  #providers = $state.raw<readonly ProviderInfo[]>([]);
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

  /** Every provider in use, reachable or not, in the server's order. */
  get providers(): readonly ProviderInfo[] {
    return this.#providers;
  }

  /**
   * The picker's groups: each provider with its models, in the server's
   * order; a provider that cannot be reached is there too (with its
   * configured models, or none), so it does not silently vanish.
   */
  get groups(): ModelGroup[] {
    const byProvider = new Map<string, Model[]>();
    for (const m of this.#list) byProvider.set(m.provider, [...(byProvider.get(m.provider) ?? []), m]);
    const groups: ModelGroup[] = this.#providers.map((p) => ({ provider: p, models: byProvider.get(p.name) ?? [] }));
    // A server that lists no providers (older) still groups its models.
    for (const [name, models] of byProvider) {
      if (!this.#providers.some((p) => p.name === name)) groups.push({ provider: { name, kind: '', reachable: true }, models });
    }
    return groups;
  }

  find(id: string): Model | undefined {
    return this.#list.find((m) => m.id === id);
  }

  async load(): Promise<void> {
    try {
      const [{ data }, health] = await Promise.all([this.#opts.api.models(), this.#opts.api.health().catch(() => null)]);
      this.#list = data.models;
      this.#providers = data.providers ?? [];
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
