import { describe, expect, it } from 'vitest';
import { ForwardTable } from './forwarding.js';

describe('ForwardTable', () => {
  it('settles each forward once and disarms its deadline', () => {
    const table = new ForwardTable();
    const seen: string[] = [];
    const disarmed: number[] = [];
    const open = (name: string) =>
      table.open(
        {
          resolve: (a) => seen.push(`${name}:${a.first}-${a.last}@${a.term}`),
          reject: (e) => seen.push(`${name}:${e.message}`),
        },
        (id) => () => disarmed.push(id),
      );
    const a = open('a');
    const b = open('b');
    const c = open('c');
    expect([a, b, c]).toEqual([1, 2, 3]);
    expect(table.resolve(a, { first: 4, last: 5, term: 2 })).toBe(true);
    expect(table.resolve(a, { first: 4, last: 5, term: 2 })).toBe(false); // a late duplicate
    expect(table.reject(b, new Error('refused'))).toBe(true);
    table.rejectAll(() => new Error('gone'));
    expect(seen).toEqual(['a:4-5@2', 'b:refused', 'c:gone']);
    expect(disarmed).toEqual([1, 2, 3]);
    expect(table.size).toBe(0);
  });
});
