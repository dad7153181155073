import type { Api } from './api';
import { HttpError } from './http';
import type { Config, KeyStatus, LocalServer, Problem, SettingsView } from './protocol';
import type { UiSettings } from './config.svelte';
import type { Translate } from './i18n.svelte';
import { providerForm, sameConfig, toConfigBody, toForm, type ProviderForm, type SettingsForm } from './settings-form';

export interface SettingsEditorOptions {
  api: Pick<Api, 'settings' | 'saveConfig' | 'setKey' | 'deleteKey' | 'discover'>;
  t: Translate;
  /** The window's theme and language: read to start the form, set to preview a choice. */
  ui: { get(): UiSettings; set(ui: Partial<UiSettings>): void };
  /** A save went through; `view` is the state in force. */
  onSaved?: (view: SettingsView) => void;
  /** Local servers were looked for (the model list may have changed). */
  onDiscovered?: () => void;
}

/**
 * The Settings screen's state: config.toml as a form, the providers' key
 * status, and the answers of the Settings API. Saving sends the
 * configuration as the server returned it, edited, never with a key; typed
 * keys go one by one to the key endpoint afterwards (a new provider must
 * exist first) and leave the form once stored.
 */
export class SettingsEditor {
  view = $state<SettingsView | null>(null);
  form = $state<SettingsForm | null>(null);
  keys = $state<Record<string, KeyStatus>>({});
  /** Why a typed key was not stored, by provider uid. */
  keyErrors = $state<Record<number, string>>({});
  /** What the last save found wrong (client checks, 422, or the file's own 409). */
  problems = $state<Problem[]>([]);
  /** The last save was refused because config.toml itself is broken. */
  fileInvalid = $state(false);
  /** A failure that is not about a value (network, server). */
  failure = $state('');
  loadError = $state('');
  saving = $state(false);
  saved = $state(false);
  servers = $state<LocalServer[] | null>(null);
  discovering = $state(false);
  /** config.toml changed (by hand, another window) while edits here were unsaved. */
  stale = $state(false);

  readonly #opts: SettingsEditorOptions;
  #uid = 0;
  /** Theme and language as last saved (or as at opening): Close goes back to them. */
  #committedUi: UiSettings;
  /**
   * Theme and language picked on this screen and not saved yet. Kept apart
   * from the form: a pick made while the form (re)loads must survive the
   * load, or Save would write the file's old value under a checked radio.
   */
  #pickedUi: Partial<UiSettings> = {};

  constructor(opts: SettingsEditorOptions) {
    this.#opts = opts;
    this.#committedUi = { ...opts.ui.get() };
  }

  async load(): Promise<void> {
    try {
      this.#show((await this.#opts.api.settings()).data);
      this.loadError = '';
    } catch (err) {
      this.loadError = this.#opts.t('settings.loadFailed', { reason: this.#reason(err) });
    }
  }

  /**
   * A configuration came into force from elsewhere (a hand edit, another
   * window). An untouched form just shows it; edits are kept, but the
   * screen says Save would replace the other change.
   */
  async external(config: Config): Promise<void> {
    const { view, form } = this;
    if (!view || !form || this.saving || sameConfig(config, view.config)) return;
    if (this.#dirty()) {
      this.stale = true;
      return;
    }
    await this.load();
  }

  /** Drops the edits and shows the configuration in force. */
  async reload(): Promise<void> {
    this.problems = [];
    this.failure = '';
    this.saved = false;
    this.stale = false;
    this.close();
    await this.load();
  }

  /** Whether the form holds anything not saved yet. */
  #dirty(): boolean {
    const { view, form } = this;
    if (!view || !form) return false;
    if (form.providers.some((p) => p.key.trim())) return true;
    const { body, problems } = toConfigBody(view.config, form, this.#opts.t);
    return problems.length > 0 || !sameConfig(body, view.config);
  }

  addProvider(): ProviderForm | null {
    if (!this.form) return null;
    const p = providerForm(++this.#uid);
    this.form.providers.push(p);
    this.saved = false;
    return this.form.providers.at(-1) ?? p;
  }

  removeProvider(uid: number): void {
    if (!this.form) return;
    this.form.providers = this.form.providers.filter((p) => p.uid !== uid);
    this.saved = false;
  }

  /** Previews a theme or language in the window; Save keeps it, Close undoes it. */
  setUi(ui: Partial<UiSettings>): void {
    Object.assign(this.#pickedUi, ui);
    if (this.form) Object.assign(this.form.ui, ui);
    this.#opts.ui.set(ui);
    this.saved = false;
  }

  /** Undoes an unsaved theme or language preview. */
  close(): void {
    this.#pickedUi = {};
    if (this.form) this.form.ui = {};
    const now = this.#opts.ui.get();
    const back: Partial<UiSettings> = {};
    if (now.theme !== this.#committedUi.theme) back.theme = this.#committedUi.theme;
    if (now.language !== this.#committedUi.language) back.language = this.#committedUi.language;
    if (back.theme || back.language) this.#opts.ui.set(back);
  }

  /** The key status of a provider the server knows (by the name it had when loaded). */
  keyOf(p: ProviderForm): KeyStatus | null {
    return p.original ? (this.keys[p.original.name] ?? null) : null;
  }

  /** Writes config.toml, then stores the typed keys. Resolves true when everything was saved. */
  async save(): Promise<boolean> {
    const { view, form } = this;
    if (!view || !form || this.saving) return false;
    this.problems = [];
    this.failure = '';
    this.fileInvalid = false;
    this.saved = false;
    this.keyErrors = {};
    const { body, problems } = toConfigBody(view.config, form, this.#opts.t);
    if (problems.length) {
      this.problems = problems;
      return false;
    }
    this.saving = true;
    try {
      let next = view;
      // Unchanged: the file (and any comments in it) is left alone.
      if (!sameConfig(body, view.config)) {
        try {
          next = (await this.#opts.api.saveConfig(body)).data;
        } catch (err) {
          this.#failed(err);
          return false;
        }
      }
      const pending = new Map<string, string>();
      const keyErrors: Record<number, string> = {};
      for (const p of form.providers) {
        const key = p.key.trim();
        if (!key) continue;
        const name = p.name.trim();
        try {
          await this.#opts.api.setKey(name, key);
        } catch (err) {
          keyErrors[p.uid] = this.#opts.t('settings.keyFailed', { reason: this.#reason(err) });
          pending.set(name, p.key);
        }
      }
      if (form.providers.some((p) => p.key.trim())) {
        // Fresh key status and warnings (a key kept in the file is one).
        next = await this.#opts.api.settings().then((r) => r.data, () => next);
      }
      this.#pickedUi = {}; // now in the file
      this.#show(next, pending, keyErrors);
      this.stale = false;
      this.#committedUi = { ...this.#opts.ui.get() };
      this.saved = Object.keys(keyErrors).length === 0;
      this.#opts.onSaved?.(next);
      return this.saved;
    } finally {
      this.saving = false;
    }
  }

  async removeKey(p: ProviderForm): Promise<void> {
    const name = p.original?.name;
    if (!name) return;
    try {
      const { data } = await this.#opts.api.deleteKey(name);
      this.keys = { ...this.keys, [name]: data };
      this.keyErrors = { ...this.keyErrors, [p.uid]: '' };
    } catch (err) {
      this.keyErrors = { ...this.keyErrors, [p.uid]: this.#reason(err) };
    }
  }

  async discover(): Promise<void> {
    this.discovering = true;
    try {
      this.servers = (await this.#opts.api.discover()).data.servers ?? [];
      this.#opts.onDiscovered?.();
    } catch (err) {
      this.failure = this.#reason(err);
    } finally {
      this.discovering = false;
    }
  }

  /**
   * Shows `view` as the form. Keys that could not be stored stay typed in
   * (as password fields) next to their error, so nothing the user entered
   * is lost; stored ones are gone from the page.
   */
  #show(view: SettingsView, pending = new Map<string, string>(), keyErrors: Record<number, string> = {}): void {
    const form = toForm(view.config, () => ++this.#uid);
    form.ui = { ...this.#pickedUi };
    const errors: Record<number, string> = {};
    const oldUid = new Map(this.form?.providers.map((p) => [p.name.trim(), p.uid]));
    for (const p of form.providers) {
      const typed = pending.get(p.name);
      if (typed === undefined) continue;
      p.key = typed;
      const e = keyErrors[oldUid.get(p.name) ?? -1];
      if (e) errors[p.uid] = e;
    }
    this.view = view;
    this.keys = view.keys ?? {};
    this.form = form;
    this.keyErrors = errors;
  }

  #failed(err: unknown): void {
    if (err instanceof HttpError && err.problems.length > 0) {
      this.problems = [...err.problems];
      this.fileInvalid = err.code === 'config_file_invalid';
      return;
    }
    this.failure = this.#reason(err);
  }

  #reason(err: unknown): string {
    return err instanceof HttpError ? err.message : this.#opts.t('error.network');
  }
}
