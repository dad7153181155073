/**
 * Dates as the sidebar and the messages show them: the date groups of the
 * chat list (Today, Yesterday, Previous 7 days, Previous 30 days, then one
 * group per month) and message times, in the UI's language.
 */

/** A sidebar date group. `month` groups carry their year and month (1-12). */
export type DateGroup =
  | { kind: 'today' | 'yesterday' | 'week' | 'month30' }
  | { kind: 'month'; year: number; month: number };

const day = 24 * 60 * 60 * 1000;

/** Local midnight of `now`'s day, `back` days earlier (calendar days, so DST days count as one). */
function midnight(now: Date, back = 0): number {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate() - back).getTime();
}

/**
 * The group of a chat last active at `ms`, seen at `now` (local calendar).
 * A time in the future (another machine's clock) counts as today.
 */
export function dateGroup(ms: number, now: Date): DateGroup {
  if (ms >= midnight(now)) return { kind: 'today' };
  if (ms >= midnight(now, 1)) return { kind: 'yesterday' };
  if (ms >= midnight(now, 7)) return { kind: 'week' };
  if (ms >= midnight(now, 30)) return { kind: 'month30' };
  const d = new Date(ms);
  return { kind: 'month', year: d.getFullYear(), month: d.getMonth() + 1 };
}

/** A stable id of a group (the same for every chat in it). */
export function groupId(g: DateGroup): string {
  return g.kind === 'month' ? `${g.year}-${String(g.month).padStart(2, '0')}` : g.kind;
}

const intlLocale = (locale: string) => (locale === 'zh' ? 'zh-CN' : 'en');

/**
 * Formatters are costly to make (milliseconds each) and cheap to use: one
 * per language and style, made on first use.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(locale: string, style: string, opts: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${style}`;
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = new Intl.DateTimeFormat(intlLocale(locale), opts)));
  return f;
}

const monthNames = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * "November 2026" / "2026年11月", as Intl writes them, without a formatter:
 * the sidebar's first screen shows these, and making the formatter costs
 * more than the rest of the screen.
 */
export function monthLabel(year: number, month: number, locale: string): string {
  return locale === 'zh' ? `${year}年${month}月` : `${monthNames[month - 1]} ${year}`;
}

/**
 * The short time under a message: the time of day when it is from today,
 * the date and time this year, the full date before that.
 */
export function shortTime(ms: number, now: Date, locale: string): string {
  const d = new Date(ms);
  if (ms >= midnight(now) && ms < midnight(now) + day) return formatter(locale, 'time', { hour: '2-digit', minute: '2-digit' }).format(d);
  if (d.getFullYear() === now.getFullYear()) {
    return formatter(locale, 'dayTime', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }).format(d);
  }
  return formatter(locale, 'date', { year: 'numeric', month: 'short', day: 'numeric' }).format(d);
}

/** The full date and time (a message time's hover text). */
export function fullTime(ms: number, locale: string): string {
  return formatter(locale, 'full', { dateStyle: 'full', timeStyle: 'medium' }).format(new Date(ms));
}

/**
 * The formatters of `locale` as separate steps, to be made ahead of need
 * one idle moment at a time (each can take tens of milliseconds on a busy
 * machine), so the first chat opened does not wait for them.
 */
export function dateWarmers(locale: string): (() => void)[] {
  const now = new Date();
  return [
    () => shortTime(now.getTime(), now, locale),
    () => shortTime(now.getTime() - 2 * day, now, locale),
    () => shortTime(0, now, locale),
    () => fullTime(0, locale),
  ];
}

/** Milliseconds of an RFC 3339 time; 0 when it is missing or unreadable. */
export function parseTime(s: string | undefined): number {
  const t = s ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? 0 : t;
}
