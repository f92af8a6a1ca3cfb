import { describe, expect, it } from 'vitest';
import { type KvInput, type KvOutput, kvModel } from './kv.js';
import { checkOperations, type Operation } from './linearizability.js';

type Op = Operation<KvInput, KvOutput>;
const put = (client: number, key: string, value: string, call: number, ret: number): Op => ({
  client,
  input: { op: 'put', key, value },
  output: ret === Number.POSITIVE_INFINITY ? undefined : { ok: true },
  call,
  ret,
});
const get = (client: number, key: string, value: string | null, call: number, ret: number): Op => ({
  client,
  input: { op: 'get', key },
  output: { value },
  call,
  ret,
});
const cas = (
  client: number,
  key: string,
  expected: string | null,
  value: string,
  ok: boolean,
  call: number,
  ret: number,
): Op => ({
  client,
  input: { op: 'cas', key, expected, value },
  output: { ok },
  call,
  ret,
});
const check = (h: Op[]) => checkOperations(kvModel, h);

describe('linearizability checker', () => {
  it('accepts a sequential history', () => {
    expect(
      check([
        put(0, 'k', 'a', 1, 2),
        get(1, 'k', 'a', 3, 4),
        cas(0, 'k', 'a', 'b', true, 5, 6),
        get(1, 'k', 'b', 7, 8),
      ]),
    ).toBe('ok');
  });

  it('rejects a read of an overwritten value after the write completed', () => {
    expect(check([put(0, 'k', 'a', 1, 2), put(0, 'k', 'b', 3, 4), get(1, 'k', 'a', 5, 6)])).toBe('illegal');
  });

  it('rejects reading the initial value after a completed write', () => {
    expect(check([put(0, 'k', 'a', 1, 2), get(1, 'k', null, 3, 4)])).toBe('illegal');
  });

  it('accepts either value for a read concurrent with a write', () => {
    expect(check([put(0, 'k', 'a', 1, 10), get(1, 'k', null, 2, 3), get(2, 'k', 'a', 4, 5)])).toBe('ok');
    expect(check([put(0, 'k', 'a', 1, 10), get(1, 'k', 'a', 2, 3)])).toBe('ok');
  });

  it('rejects reads that go back in time while a write is pending', () => {
    // The write is concurrent with both reads, but once a read saw it a later one cannot miss it.
    expect(check([put(0, 'k', 'a', 1, 10), get(1, 'k', 'a', 2, 3), get(2, 'k', null, 4, 5)])).toBe('illegal');
  });

  it('rejects two compare-and-sets that both succeed from the same value', () => {
    expect(
      check([put(0, 'k', 'a', 1, 2), cas(1, 'k', 'a', 'b', true, 3, 6), cas(2, 'k', 'a', 'c', true, 4, 5)]),
    ).toBe('illegal');
    expect(
      check([put(0, 'k', 'a', 1, 2), cas(1, 'k', 'a', 'b', true, 3, 6), cas(2, 'k', 'a', 'c', false, 4, 5)]),
    ).toBe('ok');
  });

  it('lets a write with an unknown outcome take effect or not', () => {
    const inf = Number.POSITIVE_INFINITY;
    expect(check([put(0, 'k', 'a', 1, inf), get(1, 'k', 'a', 5, 6)])).toBe('ok');
    expect(check([put(0, 'k', 'a', 1, inf), get(1, 'k', null, 5, 6)])).toBe('ok');
    // But it cannot take effect before it was called.
    expect(check([get(1, 'k', 'a', 1, 2), put(0, 'k', 'a', 3, inf)])).toBe('illegal');
    // Nor take effect, be undone, and take effect again.
    expect(check([put(0, 'k', 'a', 1, inf), get(1, 'k', 'a', 2, 3), get(1, 'k', null, 4, 5)])).toBe(
      'illegal',
    );
  });

  it('checks keys independently and reports a violation in any of them', () => {
    const ok = [put(0, 'x', '1', 1, 2), get(1, 'x', '1', 3, 4)];
    expect(check([...ok, put(0, 'y', '1', 1, 2), get(1, 'y', '1', 3, 4)])).toBe('ok');
    expect(check([...ok, put(0, 'y', '1', 1, 2), get(1, 'y', '2', 3, 4)])).toBe('illegal');
  });

  it('handles many concurrent operations quickly (memoization)', () => {
    const h: Op[] = [];
    for (let i = 0; i < 14; i++) h.push(put(i, 'k', `v${i}`, 1, 100));
    h.push(get(99, 'k', 'v7', 101, 102));
    expect(check(h)).toBe('ok');
    h.push(get(98, 'k', 'v3', 103, 104));
    expect(check(h)).toBe('illegal');
  });

  it('gives up with "unknown" past its step budget', () => {
    const h: Op[] = [];
    for (let i = 0; i < 12; i++) h.push(put(i, 'k', `v${i}`, 1, 100));
    h.push(get(99, 'k', 'nope', 101, 102));
    expect(checkOperations(kvModel, h, { maxSteps: 50 })).toBe('unknown');
  });
});
