/**
 * The per-chat generation settings form: text fields in, checked values
 * out. An empty field means "the provider's default" and is sent as null.
 */

/** The generation parameters of a chat; null = the provider's default. */
export interface ChatParams {
  temperature: number | null;
  top_p: number | null;
  max_tokens: number | null;
}

/** The form's fields, as typed. */
export interface ParamsForm {
  temperature: string;
  top_p: string;
  max_tokens: string;
}

export type ParamsProblem = 'notNumber' | 'notInteger' | 'range';

/** Limits of each parameter (the providers' common ground). */
export const limits = {
  temperature: { min: 0, max: 2 },
  top_p: { min: 0, max: 1 },
  max_tokens: { min: 1, max: 1_000_000 },
} as const;

export function toForm(p: Partial<ChatParams> | null | undefined): ParamsForm {
  const s = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));
  return { temperature: s(p?.temperature), top_p: s(p?.top_p), max_tokens: s(p?.max_tokens) };
}

/** Reads the form; either the values or what is wrong with each bad field. */
export function fromForm(f: ParamsForm): { params: ChatParams; problems: Partial<Record<keyof ChatParams, ParamsProblem>> } {
  const problems: Partial<Record<keyof ChatParams, ParamsProblem>> = {};
  const read = (k: keyof ChatParams, integer: boolean): number | null => {
    const text = f[k].trim().replace(',', '.');
    if (!text) return null;
    const n = Number(text);
    if (!Number.isFinite(n)) {
      problems[k] = 'notNumber';
      return null;
    }
    if (integer && !Number.isInteger(n)) {
      problems[k] = 'notInteger';
      return null;
    }
    if (n < limits[k].min || n > limits[k].max) {
      problems[k] = 'range';
      return null;
    }
    return n;
  };
  return {
    params: { temperature: read('temperature', false), top_p: read('top_p', false), max_tokens: read('max_tokens', true) },
    problems,
  };
}
