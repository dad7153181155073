import type { Problem } from './protocol';
import type { Translate } from './i18n.svelte';

/** "line 3, column 8", "line 3", or "" when the problem has no position. */
export function problemPlace(t: Translate, p: Problem): string {
  if (!p.line) return '';
  return p.column ? t('problem.lineColumn', { line: p.line, column: p.column }) : t('problem.line', { line: p.line });
}

/** The problem's message, after the path of the value it is about. */
export function problemMessage(p: Problem): string {
  return p.key ? `${p.key}: ${p.message}` : p.message;
}

/** "line 3, column 8: providers[0].kind: message". */
export function problemText(t: Translate, p: Problem): string {
  const place = problemPlace(t, p);
  return place ? `${place}: ${problemMessage(p)}` : problemMessage(p);
}

/**
 * The sentence of the config.toml error banner. One problem is told in full
 * ("… at line 3, column 8: message — the last good configuration is in
 * use"); several get a heading, and the caller lists each with problemText.
 */
export function configErrorSummary(t: Translate, problems: readonly Problem[]): string {
  if (problems.length !== 1) return t('config.errors', { n: problems.length });
  const [p] = problems;
  const message = problemMessage(p);
  if (p.line && p.column) return t('config.errorAt', { line: p.line, column: p.column, message });
  if (p.line) return t('config.errorAtLine', { line: p.line, message });
  return t('config.error', { message });
}

/** Problems sorted to the form fields they are about, and the ones no field shows. */
export interface GroupedProblems {
  byField: Map<string, Problem[]>;
  rest: Problem[];
}

/**
 * Puts each problem next to the field whose path is its key or a prefix of
 * it ("providers[0].models" takes "providers[0].models[2]"); the longest
 * match wins. Problems without a matching field go to `rest`, to be listed
 * with their key.
 */
export function groupProblems(problems: readonly Problem[], fields: Iterable<string>): GroupedProblems {
  const known = [...fields].sort((a, b) => b.length - a.length);
  const byField = new Map<string, Problem[]>();
  const rest: Problem[] = [];
  for (const p of problems) {
    const key = p.key ?? '';
    const field = key && known.find((f) => key === f || key.startsWith(`${f}.`) || key.startsWith(`${f}[`));
    if (!field) {
      rest.push(p);
      continue;
    }
    byField.set(field, [...(byField.get(field) ?? []), p]);
  }
  return { byField, rest };
}
