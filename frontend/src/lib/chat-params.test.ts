import { describe, expect, it } from 'vitest';
import { fromForm, toForm } from './chat-params';

describe('chat parameters form', () => {
  it('reads numbers, and empty fields as the provider default', () => {
    expect(fromForm({ temperature: '0.7', top_p: '', max_tokens: ' 1024 ' })).toEqual({
      params: { temperature: 0.7, top_p: null, max_tokens: 1024 },
      problems: {},
    });
    expect(fromForm({ temperature: '0,5', top_p: '1', max_tokens: '' }).params).toEqual({ temperature: 0.5, top_p: 1, max_tokens: null });
  });

  it.each([
    [{ temperature: 'warm', top_p: '', max_tokens: '' }, { temperature: 'notNumber' }],
    [{ temperature: '2.5', top_p: '', max_tokens: '' }, { temperature: 'range' }],
    [{ temperature: '', top_p: '-0.1', max_tokens: '' }, { top_p: 'range' }],
    [{ temperature: '', top_p: '', max_tokens: '10.5' }, { max_tokens: 'notInteger' }],
    [{ temperature: '', top_p: '', max_tokens: '0' }, { max_tokens: 'range' }],
    [{ temperature: 'Infinity', top_p: 'NaN', max_tokens: '1e9' }, { temperature: 'notNumber', top_p: 'notNumber', max_tokens: 'range' }],
  ])('says what is wrong with %j', (form, problems) => {
    expect(fromForm(form).problems).toEqual(problems);
  });

  it('shows stored values and defaults as the form has them', () => {
    expect(toForm({ temperature: 0, top_p: null, max_tokens: 512 })).toEqual({ temperature: '0', top_p: '', max_tokens: '512' });
    expect(toForm(undefined)).toEqual({ temperature: '', top_p: '', max_tokens: '' });
  });
});
