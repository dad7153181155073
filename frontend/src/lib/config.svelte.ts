import type { Config, ConfigChanged, ConfigError, LanguageSetting, Problem, SettingsView, ThemeSetting } from './protocol';
import type { I18n } from './i18n.svelte';
import type { Theme } from './theme.svelte';

/** The `[ui]` part of config.toml. */
export interface UiSettings {
  theme: ThemeSetting;
  language: LanguageSetting;
}

const themes: readonly string[] = ['system', 'light', 'dark'];
const languages: readonly string[] = ['auto', 'en', 'zh'];
const seenKey = 'holdfast.configUi';

export interface ConfigStateOptions {
  /** GET /api/config. */
  load: () => Promise<SettingsView>;
  storage: { getItem(k: string): string | null; setItem(k: string, v: string): void };
  /** Applies the theme and/or language config.toml changed to. */
  onUi?: (ui: Partial<UiSettings>) => void;
  /** A new configuration is in force (the models may have changed). */
  onChanged?: () => void;
}

/**
 * What the window knows about config.toml: the configuration in force and,
 * while the file cannot be used, its problems for the banner. Kept current
 * by the `config.changed` / `config.error` events; a snapshot (GET
 * /api/config) fills it in at start and after a resync.
 *
 * The theme and language in the file are applied when they change there
 * (by hand, in Settings, in another window), not at every load: the header
 * toggle stays a quick per-window choice until the file says otherwise.
 */
export class ConfigState {
  #config = $state.raw<Config | null>(null);
  #error = $state.raw<ConfigError | null>(null);
  #warnings = $state.raw<Problem[]>([]);
  #dismissed = $state(false);
  #banner = $derived(this.#dismissed ? null : this.#error);

  readonly #opts: ConfigStateOptions;
  /** Bumped by every event, so a snapshot read before one cannot undo it. */
  #seq = 0;
  /** The `[ui]` this window last saw in the file (shared with later windows through storage). */
  #seenUi: Partial<UiSettings> | null;

  constructor(opts: ConfigStateOptions) {
    this.#opts = opts;
    this.#seenUi = readSeen(opts.storage);
  }

  /** The configuration in force (null until the first snapshot). */
  get config(): Config | null {
    return this.#config;
  }

  /** Set while config.toml cannot be used; the last good configuration is in force. */
  get error(): ConfigError | null {
    return this.#error;
  }

  get warnings(): Problem[] {
    return this.#warnings;
  }

  /** The error to show in the banner, unless the user closed it. */
  get banner(): ConfigError | null {
    return this.#banner;
  }

  /** Reads the state over REST; an event that arrives meanwhile wins. */
  async load(): Promise<void> {
    const seq = this.#seq;
    let view: SettingsView;
    try {
      view = await this.#opts.load();
    } catch {
      return; // the stream shows connectivity; the events will tell the rest
    }
    if (seq !== this.#seq) return;
    this.#accept(view.config, view.warnings);
    this.#setError(view.error, true);
  }

  /** `config.changed`: a new configuration is in force, and the file is good again. */
  changed(data: ConfigChanged): void {
    this.#seq++;
    if (data?.config) this.#accept(data.config, data.warnings);
    this.#setError(null, false);
    this.#opts.onChanged?.();
  }

  /** `config.error`: the file cannot be used; the last good configuration stays. */
  failed(data: ConfigError): void {
    this.#seq++;
    this.#setError({ file: data?.file ?? '', problems: data?.problems ?? [] }, false);
  }

  /** The answer of a save in Settings: the state in force right now. */
  saved(view: SettingsView): void {
    this.#seq++;
    this.#accept(view.config, view.warnings);
    this.#setError(view.error, true);
    this.#opts.onChanged?.();
  }

  /** Hides the banner until the next error event. */
  dismiss(): void {
    this.#dismissed = true;
  }

  /** `keepDismissed`: a snapshot repeating the error the user closed does not bring it back. */
  #setError(err: ConfigError | null, keepDismissed: boolean): void {
    const same = JSON.stringify(err) === JSON.stringify(this.#error);
    this.#error = err ? { file: err.file, problems: err.problems ?? [] } : null;
    if (!(keepDismissed && same)) this.#dismissed = false;
  }

  #accept(config: Config, warnings: Problem[] | null | undefined): void {
    this.#config = config;
    this.#warnings = warnings ?? [];
    const ui = config.ui ?? {};
    const seen = this.#seenUi;
    const changed: Partial<UiSettings> = {};
    if (themes.includes(ui.theme) && ui.theme !== seen?.theme) changed.theme = ui.theme;
    if (languages.includes(ui.language) && ui.language !== seen?.language) changed.language = ui.language;
    if (!changed.theme && !changed.language) return;
    this.#seenUi = { ...seen, ...changed };
    try {
      this.#opts.storage.setItem(seenKey, JSON.stringify(this.#seenUi));
    } catch {
      // storage is a convenience here
    }
    this.#opts.onUi?.(changed);
  }
}

/** Puts a theme and/or language into effect in this window. */
export function applyUi(to: { theme: Theme; i18n: I18n }, ui: Partial<UiSettings>): void {
  if (ui.theme) to.theme.set(ui.theme);
  if (ui.language) to.i18n.set(ui.language);
}

function readSeen(storage: ConfigStateOptions['storage']): Partial<UiSettings> | null {
  try {
    const v = JSON.parse(storage.getItem(seenKey) ?? 'null') as Partial<UiSettings> | null;
    return v && typeof v === 'object' ? v : null;
  } catch {
    return null;
  }
}
