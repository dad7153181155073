import type { Api } from './api';
import type { CheckResult, Continuation } from './protocol';

/** One provider's Test: running, its answer, or why it could not be asked. */
export interface TestState {
  running: boolean;
  result?: CheckResult;
  /** The request itself failed (not the provider: that is in result). */
  error?: string;
}

/**
 * What the Settings screen shows about providers in use: how each continues
 * an interrupted answer and why (GET /api/providers), and the Test button's
 * answers (POST /api/providers/{name}/test), by provider name.
 */
export class ProviderChecks {
  #continuations = $state.raw<Readonly<Record<string, Continuation>>>({});
  #tests = $state.raw<Readonly<Record<string, TestState>>>({});
  readonly #api: Pick<Api, 'providers' | 'testProvider'>;

  constructor(api: Pick<Api, 'providers' | 'testProvider'>) {
    this.#api = api;
  }

  continuation(name: string): Continuation | undefined {
    return this.#continuations[name];
  }

  test(name: string): TestState | undefined {
    return this.#tests[name];
  }

  /** Asks how every provider continues (servers set to auto are asked once, then remembered). */
  async load(): Promise<void> {
    try {
      const { data } = await this.#api.providers();
      this.#continuations = Object.fromEntries(data.providers.map((p) => [p.name, p.continuation]));
    } catch {
      // A nicety: the fields stay as they are; Test asks again.
    }
  }

  /** Runs the provider's test; its continuation is found afresh too. */
  async run(name: string, model?: string): Promise<void> {
    this.#tests = { ...this.#tests, [name]: { running: true } };
    let state: TestState;
    try {
      const { data } = await this.#api.testProvider(name, model);
      state = { running: false, result: data };
      this.#continuations = { ...this.#continuations, [name]: data.continuation };
    } catch (err) {
      state = { running: false, error: err instanceof Error ? err.message : String(err) };
    }
    this.#tests = { ...this.#tests, [name]: state };
  }

  /** Forgets test answers (the configuration changed). */
  reset(): void {
    this.#tests = {};
  }
}
