import { describe, expect, it } from 'vitest';
import { chineseMessages, englishMessages, format, type Translate } from './i18n.svelte';
import { configErrorSummary, groupProblems, problemText } from './problems';

const en: Translate = (k, vars) => format(englishMessages[k], vars);
const zh: Translate = (k, vars) => format(chineseMessages[k], vars);

describe('problems', () => {
  it.each([
    [{ line: 3, column: 8, message: 'expected a value' }, 'config.toml has an error at line 3, column 8: expected a value — the last good configuration is in use.'],
    [{ line: 12, key: 'server.addr', message: 'not loopback' }, 'config.toml has an error at line 12: server.addr: not loopback — the last good configuration is in use.'],
    [{ message: 'config.toml was removed' }, 'config.toml has an error: config.toml was removed — the last good configuration is in use.'],
  ])('says where one problem is: %j', (p, want) => {
    expect(configErrorSummary(en, [p])).toBe(want);
  });

  it('heads a list for several problems, each with its place', () => {
    const ps = [
      { line: 2, column: 1, key: 'ui.theme', message: 'bad theme' },
      { line: 9, column: 3, key: 'providers[0].kind', message: 'unknown kind' },
    ];
    expect(configErrorSummary(en, ps)).toBe('config.toml has 2 errors — the last good configuration is in use:');
    expect(ps.map((p) => problemText(en, p))).toEqual(['line 2, column 1: ui.theme: bad theme', 'line 9, column 3: providers[0].kind: unknown kind']);
    expect(problemText(zh, ps[0])).toBe('第 2 行第 1 列: ui.theme: bad theme');
    expect(configErrorSummary(zh, [ps[1]])).toBe('config.toml 第 9 行第 3 列有错误：providers[0].kind: unknown kind —— 正在使用上一份有效配置。');
  });

  it('puts each problem next to its field, the most specific one winning', () => {
    const fields = ['default_model', 'providers[0].models', 'providers[1].name', 'providers[1].params.temperature', 'providers[10].name'];
    const ps = [
      { key: 'default_model', message: 'a' },
      { key: 'providers[0].models[2]', message: 'b' },
      { key: 'providers[1].params.temperature', message: 'c' },
      { key: 'providers[1].name', message: 'd' },
      { key: 'providers[1].api_key_ref', message: 'e' }, // no field for it
      { line: 4, column: 2, message: 'f' }, // the file, not a field
      { key: 'providers[10].name', message: 'g' },
    ];
    const { byField, rest } = groupProblems(ps, fields);
    expect(Object.fromEntries([...byField].map(([k, v]) => [k, v.map((p) => p.message)]))).toEqual({
      default_model: ['a'],
      'providers[0].models': ['b'],
      'providers[1].params.temperature': ['c'],
      'providers[1].name': ['d'],
      'providers[10].name': ['g'],
    });
    expect(rest.map((p) => p.message)).toEqual(['e', 'f']);
  });
});
