import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hitBatchSchema } from './gossip.js';
import { userIdOf } from './http.js';

const request = (headers: Record<string, string | string[]>) => ({ headers }) as unknown as IncomingMessage;

describe('input checks', () => {
  it('userIdOf accepts exactly the documented ids and never throws', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.option(fc.string({ maxLength: 80 })), (q, header) => {
        const url = new URL('http://gateway/api/resource');
        url.searchParams.set('user_id', q);
        const r = userIdOf(request(header === null ? {} : { 'x-user-id': header }), url);
        const valid = /^[A-Za-z0-9._~:@-]{1,64}$/.test(q) && (header === null || header === q);
        expect('id' in r).toBe(valid);
        if ('id' in r) expect(r.id).toBe(q);
      }),
    );
    expect(userIdOf(request({ 'x-user-id': ['a', 'a'] }), new URL('http://g/'))).toHaveProperty('error');
    expect(userIdOf(request({ 'x-user-id': 'carol' }), new URL('http://g/'))).toEqual({ id: 'carol' });
  });

  it('the hit batch schema refuses anything that is not a batch, without throwing', () => {
    const validate = hitBatchSchema['~standard'].validate;
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const r = validate(value);
        expect('issues' in r || 'value' in r).toBe(true);
      }),
    );
    expect(validate({ node: 'a', next: 1, entries: [['u', 1, 1, 1]] })).toHaveProperty('value');
    for (const bad of [
      { node: 'a', next: 1, entries: [['u', -1, 1, 1]] },
      { node: 'a', next: 1.5, entries: [] },
      { node: 'a', next: 1, entries: [['x'.repeat(65), 1, 1, 1]] },
      { node: 'a', next: 1, entries: [['u', 1, 1]] },
      { node: 1, next: 1, entries: [] },
    ])
      expect(validate(bad)).toHaveProperty('issues');
  });
});
