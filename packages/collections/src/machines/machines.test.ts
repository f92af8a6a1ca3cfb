import { decodeCbor, encodeCanonical, toHex } from '@mosaik/id';
import { snapshotBytes } from '@mosaik/rsm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CellMachine, OnceMachine } from './cell.js';
import type { ByteMachine, Guard } from './common.js';
import { bytesOf } from './keys.js';
import { MapMachine } from './map.js';
import { PqMachine, type PriorityOrder } from './pq.js';
import { SetMachine } from './set.js';
import { VecMachine } from './vec.js';

const e = (v: unknown) => encodeCanonical(v);
const d = (b: Uint8Array | undefined) => (b === undefined ? undefined : decodeCbor(b));
const numeric: PriorityOrder = {
  decode: (b) => decodeCbor(b),
  compare: (a, b) => (a as number) - (b as number),
};

function mapContents(m: MapMachine): [unknown, unknown][] {
  return [...m.view().entries()].map(([k, v]) => [decodeCbor(bytesOf(k)), decodeCbor(v)]);
}

describe('MapMachine', () => {
  it('inserts, overwrites, extends with later duplicates winning, removes and clears', () => {
    const m = new MapMachine();
    m.apply({ t: 1, k: e(1), v: e(10) }, 1);
    m.apply({ t: 1, k: e(1), v: e(11) }, 2);
    expect(m.size()).toBe(1);
    m.apply(
      {
        t: 4,
        es: [
          [e(2), e(20)],
          [e(3), e(30)],
          [e(2), e(21)],
        ],
      },
      3,
    );
    expect(mapContents(m)).toEqual([
      [1, 11],
      [2, 21],
      [3, 30],
    ]);
    m.apply({ t: 3, ks: [e(2), e(999)] }, 4);
    expect(mapContents(m)).toEqual([
      [1, 11],
      [3, 30],
    ]);
    m.apply({ t: 0 }, 5);
    expect(m.size()).toBe(0);
  });

  it('compares and exchanges on encoded bytes, with absent meaning undefined', () => {
    const m = new MapMachine();
    m.apply({ t: 2, k: e('a'), e: e(1), n: e(2) }, 1); // absent but expected Some: no-op
    expect(m.size()).toBe(0);
    m.apply({ t: 2, k: e('a'), n: e(1) }, 2); // absent and expected None: insert
    expect(d(m.get(e('a')))).toBe(1);
    m.apply({ t: 2, k: e('a'), n: e(5) }, 3); // present but expected None: no-op
    expect(d(m.get(e('a')))).toBe(1);
    m.apply({ t: 2, k: e('a'), e: e(2), n: e(5) }, 4); // mismatch
    expect(d(m.get(e('a')))).toBe(1);
    m.apply({ t: 2, k: e('a'), e: e(1), n: e(2) }, 5);
    expect(d(m.get(e('a')))).toBe(2);
    m.apply({ t: 2, k: e('a'), e: e(2) }, 6); // new None: remove
    expect(m.size()).toBe(0);
    m.apply({ t: 2, k: e('a') }, 7); // absent, None → None: nothing
    expect(m.size()).toBe(0);
  });

  it('iterates in encoded-key byte order whatever the insertion order', () => {
    const a = new MapMachine();
    const b = new MapMachine();
    const keys = ['zeta', 'alpha', 'mid', 'a', ''];
    for (const [i, k] of keys.entries()) a.apply({ t: 1, k: e(k), v: e(i) }, i + 1);
    for (const k of [...keys].reverse()) b.apply({ t: 1, k: e(k), v: e(keys.indexOf(k)) }, 1);
    expect(toHex(snapshotBytes(a.snapshot()))).toBe(toHex(snapshotBytes(b.snapshot())));
    const order = [...a.view().keys()];
    expect(order).toEqual([...order].sort());
  });

  it('drops a whole command with an invalid value and tells the guard', () => {
    let rejected = 0;
    const guard: Guard = {
      key: () => true,
      value: (b) => typeof decodeCbor(b) === 'number',
      priority: () => true,
      rejected: () => rejected++,
    };
    const m = new MapMachine(guard);
    m.apply(
      {
        t: 4,
        es: [
          [e(1), e(1)],
          [e(2), e('bad')],
        ],
      },
      1,
    );
    expect(m.size()).toBe(0);
    expect(rejected).toBe(1);
  });

  it('reports changes with previous values', () => {
    const m = new MapMachine();
    const seen: unknown[] = [];
    m.onChange = (c, i) => seen.push([c.kind, i]);
    m.apply({ t: 1, k: e(1), v: e(1) }, 7);
    m.apply({ t: 3, ks: [e(1), e(2)] }, 8);
    m.apply({ t: 0 }, 9); // empty: no change
    expect(seen).toEqual([
      ['set', 7],
      ['delete', 8],
    ]);
  });
});

describe('VecMachine', () => {
  const contents = (v: VecMachine) => v.view().map((b) => decodeCbor(b));
  it('applies every command with guarded no-ops out of range', () => {
    const v = new VecMachine();
    v.apply({ t: 3, v: e(10) }, 1);
    v.apply({ t: 3, v: e(20) }, 2);
    v.apply({ t: 3, v: e(30) }, 3);
    v.apply({ t: 4, v: e(5) }, 4);
    v.apply({ t: 2, i: 2, v: e(15) }, 5);
    expect(contents(v)).toEqual([5, 10, 15, 20, 30]);
    v.apply({ t: 2, i: 99, v: e(1) }, 6); // past the end: no-op
    v.apply({ t: 7, i: 99 }, 7);
    v.apply({ t: 1, i: 0, j: 99 }, 8);
    expect(contents(v)).toEqual([5, 10, 15, 20, 30]);
    v.apply({ t: 1, i: 0, j: 4 }, 9);
    v.apply({ t: 5 }, 10);
    v.apply({ t: 6 }, 11);
    v.apply({ t: 7, i: 1 }, 12);
    expect(contents(v)).toEqual([10, 20]);
    v.apply({ t: 9, vs: [e(100), e(200)] }, 13);
    v.apply({ t: 8, n: 3 }, 14);
    expect(contents(v)).toEqual([10, 20, 100]);
    v.apply({ t: 8, n: 10 }, 15);
    expect(v.size()).toBe(3);
    v.apply({ t: 2, i: 3, v: e(7) }, 16); // index == len appends
    expect(contents(v)).toEqual([10, 20, 100, 7]);
    v.apply({ t: 0 }, 17);
    v.apply({ t: 5 }, 18);
    v.apply({ t: 6 }, 19);
    expect(v.size()).toBe(0);
  });
});

describe('SetMachine', () => {
  it('keeps unique elements in byte order', () => {
    const s = new SetMachine();
    s.apply({ t: 3, vs: [e(3), e(1), e(2), e(1)] }, 1);
    s.apply({ t: 1, v: e(2) }, 2);
    expect(s.size()).toBe(3);
    s.apply({ t: 2, vs: [e(1), e(9)] }, 3);
    expect([...s.view().keys()].map((k) => decodeCbor(bytesOf(k)))).toEqual([2, 3]);
    s.apply({ t: 0 }, 4);
    expect(s.size()).toBe(0);
  });
});

describe('CellMachine and OnceMachine', () => {
  it('Cell writes, clears and compares-and-exchanges as Options', () => {
    const c = new CellMachine();
    c.apply({ t: 1 }, 1); // (None, None) on empty: successful no-op
    expect(c.get()).toBeUndefined();
    c.apply({ t: 1, n: e(1) }, 2);
    expect(d(c.get())).toBe(1);
    c.apply({ t: 1, n: e(2) }, 3); // (None, Some) on a full cell: mismatch
    expect(d(c.get())).toBe(1);
    c.apply({ t: 1, c: e(1), n: e(3) }, 4);
    expect(d(c.get())).toBe(3);
    c.apply({ t: 1, c: e(3) }, 5);
    expect(c.size()).toBe(0);
    c.apply({ t: 0, v: e(9) }, 6);
    c.apply({ t: 2 }, 7);
    expect(c.size()).toBe(0);
  });

  it('Once keeps the first write in log order', () => {
    const o = new OnceMachine();
    o.apply({ t: 0, v: e(42) }, 1);
    o.apply({ t: 0, v: e(99) }, 2);
    expect(d(o.get())).toBe(42);
  });
});

describe('PqMachine', () => {
  const asc = (q: PqMachine) =>
    [...q.view().entries()].map(([s, v]) => [
      decodeCbor(bytesOf(s.pb)),
      decodeCbor(bytesOf(s.kb)),
      decodeCbor(v),
    ]);
  it('upserts across buckets, updates, compares values and removes ranges', () => {
    const q = new PqMachine(numeric);
    q.apply(
      {
        t: 2,
        es: [
          [e(30), e(3), e(300)],
          [e(10), e(1), e(100)],
          [e(20), e(2), e(200)],
        ],
      },
      1,
    );
    expect(asc(q)).toEqual([
      [10, 1, 100],
      [20, 2, 200],
      [30, 3, 300],
    ]);
    q.apply({ t: 1, p: e(99), k: e(1), v: e(101) }, 2);
    expect(asc(q)[2]).toEqual([99, 1, 101]);
    q.apply({ t: 3, k: e(2), p: e(5) }, 3);
    q.apply({ t: 4, k: e(3), v: e(333) }, 4);
    q.apply({ t: 3, k: e(77), p: e(5) }, 5); // unknown key: no-op
    expect(asc(q)).toEqual([
      [5, 2, 200],
      [30, 3, 333],
      [99, 1, 101],
    ]);
    q.apply({ t: 5, k: e(3), e: e(1), n: e(0) }, 6); // mismatch
    q.apply({ t: 5, k: e(3), e: e(333), n: e(334) }, 7);
    expect(asc(q)[1]).toEqual([30, 3, 334]);
    q.apply({ t: 7, lo: [e(5), false], hi: [e(99), true] }, 8);
    expect(asc(q)).toEqual([[5, 2, 200]]);
    q.apply({ t: 7 }, 9);
    expect(q.size()).toBe(0);
  });

  it('evicts the lowest entry, possibly the one just inserted, and never on upsert', () => {
    const q = new PqMachine(numeric, 2);
    q.apply({ t: 1, p: e(10), k: e(1), v: e(0) }, 1);
    q.apply({ t: 1, p: e(20), k: e(2), v: e(0) }, 2);
    q.apply({ t: 1, p: e(5), k: e(3), v: e(0) }, 3);
    expect(asc(q).map((x) => x[1])).toEqual([1, 2]);
    q.apply({ t: 1, p: e(1), k: e(1), v: e(9) }, 4); // upsert lower: stays
    expect(q.size()).toBe(2);
    q.apply(
      {
        t: 2,
        es: [
          [e(30), e(4), e(0)],
          [e(40), e(5), e(0)],
        ],
      },
      5,
    );
    expect(asc(q).map((x) => x[1])).toEqual([4, 5]);
  });

  it('orders a bucket by key bytes for min, max and eviction', () => {
    const q = new PqMachine(numeric, 3);
    q.apply(
      {
        t: 2,
        es: [
          [e(10), e(3), e(0)],
          [e(10), e(1), e(0)],
          [e(10), e(2), e(0)],
        ],
      },
      1,
    );
    expect(asc(q).map((x) => x[1])).toEqual([1, 2, 3]);
    q.apply({ t: 1, p: e(20), k: e(9), v: e(0) }, 2);
    expect(asc(q).map((x) => x[1])).toEqual([2, 3, 9]);
  });
});

// ------------------------------------------------------------------ properties

const small = fc.integer({ min: 0, max: 7 }).map((n) => e(n));
const mapCmd = fc.oneof(
  fc.constant({ t: 0 as const }),
  fc.record({ t: fc.constant(1 as const), k: small, v: small }),
  fc.record({
    t: fc.constant(2 as const),
    k: small,
    e: fc.option(small, { nil: undefined }),
    n: fc.option(small, { nil: undefined }),
  }),
  fc.record({ t: fc.constant(3 as const), ks: fc.array(small, { maxLength: 3 }) }),
  fc.record({ t: fc.constant(4 as const), es: fc.array(fc.tuple(small, small), { maxLength: 4 }) }),
);
const idx = fc.integer({ min: 0, max: 6 });
const vecCmd = fc.oneof(
  fc.constant({ t: 0 as const }),
  fc.record({ t: fc.constant(1 as const), i: idx, j: idx }),
  fc.record({ t: fc.constant(2 as const), i: idx, v: small }),
  fc.record({ t: fc.constantFrom(3 as const, 4 as const), v: small }),
  fc.record({ t: fc.constantFrom(5 as const, 6 as const) }),
  fc.record({ t: fc.constant(7 as const), i: idx }),
  fc.record({ t: fc.constant(8 as const), n: idx }),
  fc.record({ t: fc.constant(9 as const), vs: fc.array(small, { maxLength: 3 }) }),
);
const setCmd = fc.oneof(
  fc.constant({ t: 0 as const }),
  fc.record({ t: fc.constant(1 as const), v: small }),
  fc.record({ t: fc.constantFrom(2 as const, 3 as const), vs: fc.array(small, { maxLength: 3 }) }),
);
const cellCmd = fc.oneof(
  fc.record({ t: fc.constant(0 as const), v: small }),
  fc.record({
    t: fc.constant(1 as const),
    c: fc.option(small, { nil: undefined }),
    n: fc.option(small, { nil: undefined }),
  }),
  fc.constant({ t: 2 as const }),
);
const onceCmd = fc.record({ t: fc.constant(0 as const), v: small });
const bound = fc.option(fc.tuple(small, fc.boolean()), { nil: undefined });
const pqCmd = fc.oneof(
  fc.constant({ t: 0 as const }),
  fc.record({ t: fc.constant(1 as const), p: small, k: small, v: small }),
  fc.record({ t: fc.constant(2 as const), es: fc.array(fc.tuple(small, small, small), { maxLength: 4 }) }),
  fc.record({ t: fc.constant(3 as const), k: small, p: small }),
  fc.record({ t: fc.constant(4 as const), k: small, v: small }),
  fc.record({ t: fc.constant(5 as const), k: small, e: small, n: fc.option(small, { nil: undefined }) }),
  fc.record({ t: fc.constant(6 as const), ks: fc.array(small, { maxLength: 3 }) }),
  fc.record({ t: fc.constant(7 as const), lo: bound, hi: bound }),
);

type AnyMachine = ByteMachine<unknown, unknown>;
const kinds: [string, () => AnyMachine, fc.Arbitrary<unknown>][] = [
  ['map', () => new MapMachine() as AnyMachine, mapCmd],
  ['vec', () => new VecMachine() as AnyMachine, vecCmd],
  ['set', () => new SetMachine() as AnyMachine, setCmd],
  ['cell', () => new CellMachine() as AnyMachine, cellCmd],
  ['once', () => new OnceMachine() as AnyMachine, onceCmd],
  ['pq', () => new PqMachine(numeric) as AnyMachine, pqCmd],
  ['bounded pq', () => new PqMachine(numeric, 3) as AnyMachine, pqCmd],
];

describe.each(kinds)('%s machine properties', (_name, make, command) => {
  it('a replica restored from a snapshot mid-way ends byte-identical to one that applied everything', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), fc.nat(), (cmds, cut) => {
        const a = make();
        for (const [i, c] of cmds.entries()) a.apply(c, i + 1);
        const at = cmds.length === 0 ? 0 : cut % (cmds.length + 1);
        const b = make();
        for (const [i, c] of cmds.slice(0, at).entries()) b.apply(c, i + 1);
        const c = make();
        c.restore(snapshotBytes(b.snapshot()));
        for (const [i, x] of cmds.slice(at).entries()) c.apply(x, at + i + 1);
        expect(toHex(snapshotBytes(c.snapshot()))).toBe(toHex(snapshotBytes(a.snapshot())));
        expect(c.size()).toBe(a.size());
      }),
    );
  });

  it('restore(snapshot()) is the identity, and commands survive their own codec', () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 30 }), (cmds) => {
        const a = make();
        for (const [i, c] of cmds.entries()) a.apply(a.parse(decodeCbor(encodeCanonical(c))), i + 1);
        const snap = snapshotBytes(a.snapshot());
        const b = make();
        b.restore(snap);
        expect(toHex(snapshotBytes(b.snapshot()))).toBe(toHex(snap));
      }),
    );
  });

  it('parse refuses malformed commands with a DecodeError and never anything else', () => {
    fc.assert(
      fc.property(fc.anything(), (raw) => {
        try {
          make().parse(raw);
        } catch (error) {
          expect((error as Error).name).toBe('DecodeError');
        }
      }),
    );
  });
});
