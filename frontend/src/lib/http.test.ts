import { describe, expect, it } from 'vitest';
import { Api } from './api';
import { afterFailure, HttpError, httpErrorFrom, isFatalStatus, isNetworkError, joinUrl } from './http';

describe('HTTP rules', () => {
  it.each([
    // status, already refreshed, verdict
    [401, false, 'refresh'],
    [401, true, 'fail'],
    [400, false, 'fail'],
    [403, false, 'fail'],
    [404, true, 'fail'],
    [422, false, 'fail'],
    [408, false, 'retry'],
    [429, false, 'retry'],
    [500, false, 'retry'],
    [503, true, 'retry'],
  ] as const)('status %i (refreshed: %s) -> %s', (status, refreshed, verdict) => {
    expect(afterFailure(status, refreshed)).toBe(verdict);
    if (status !== 401) expect(isFatalStatus(status)).toBe(verdict === 'fail');
  });

  it('reads the error body, and falls back to the status line when it is not JSON', async () => {
    const json = new Response(JSON.stringify({ error: { code: 'invalid_config', message: 'bad', problems: [{ line: 3, message: 'x' }, { nope: 1 }] } }), {
      status: 422,
    });
    const err = await httpErrorFrom(json);
    expect(err).toBeInstanceOf(HttpError);
    expect(err).toMatchObject({ status: 422, code: 'invalid_config', message: 'bad', problems: [{ line: 3, message: 'x' }] });
    const text = await httpErrorFrom(new Response('<html>bad gateway</html>', { status: 502 }));
    expect(text).toMatchObject({ status: 502, code: 'http_502', message: 'HTTP 502', problems: [] });
    expect(isNetworkError(text)).toBe(false);
    expect(isNetworkError(new TypeError('Failed to fetch'))).toBe(true);
  });

  it('joins a base with or without trailing slashes', () => {
    expect(joinUrl('http://127.0.0.1:9/', '/api/health')).toBe('http://127.0.0.1:9/api/health');
    expect(joinUrl('http://127.0.0.1:9', '/api/health')).toBe('http://127.0.0.1:9/api/health');
  });
});

describe('Api and the 401 rule', () => {
  function setup(statuses: number[]) {
    const tokens: string[] = [];
    const asked: boolean[] = [];
    let n = 0;
    const api = new Api(
      async (o) => {
        asked.push(!!o?.fresh);
        return { baseUrl: 'http://127.0.0.1:9', token: `t${++n}` };
      },
      async (_url, init) => {
        tokens.push(new Headers(init?.headers).get('Authorization') ?? '');
        const status = statuses.shift() ?? 200;
        if (status === 200) return new Response(JSON.stringify({ ok: true, version: 'v', epoch: 'E', head: 'E:1' }), { status });
        return new Response(JSON.stringify({ error: { code: 'unauthorized', message: 'bad token' } }), { status });
      },
    );
    return { api, tokens, asked };
  }

  it('asks once for fresh credentials after a 401 and repeats the request', async () => {
    const h = setup([401]);
    const { data } = await h.api.health();
    expect(data.version).toBe('v');
    expect(h.asked).toEqual([false, true]);
    expect(h.tokens).toEqual(['Bearer t1', 'Bearer t2']);
  });

  it('gives up on a second 401 without a third request', async () => {
    const h = setup([401, 401]);
    await expect(h.api.health()).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    expect(h.tokens).toHaveLength(2);
  });

  it('does not repeat other failures', async () => {
    const h = setup([503]);
    await expect(h.api.health()).rejects.toBeInstanceOf(HttpError);
    expect(h.tokens).toHaveLength(1);
    expect(h.asked).toEqual([false]);
  });
});
