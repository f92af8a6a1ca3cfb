/**
 * Cell: one test per line of the original's cell.rs inventory (TESTS.md maps them). The
 * original's aliases (`write`/`set`, `read`/`get`, `is_none`/`is_some`/`is_empty`) are one name
 * each here: `set`, `get`, `isEmpty`. Writers and readers are on different nodes unless a line
 * says otherwise; "late" handles are opened after the data exists.
 */
import { describe, expect, it } from 'vitest';
import { FAST, sharedNodes, storeName, within } from '../test/fixtures.js';
import { defineCollection } from './collection.js';

const net = sharedNodes(undefined, 4);

const def = (what: string) => defineCollection.cell<number>(storeName(what), { consensus: FAST });
/** Late handles catch up from a snapshot: the log is compacted well before the data is written. */
const catchupDef = (what: string) =>
  defineCollection.cell<number>(storeName(what), {
    consensus: { ...FAST, snapshotThreshold: 50, snapshotKeep: 10 },
  });

/** The module-level definition a `collection!` declaration becomes. */
const Greeting = defineCollection.cell<string>(storeName('greeting'), { consensus: FAST });

describe('Cell (cell.rs, one test per line)', () => {
  it('smoke_no_catchup: empty, set, overwrite, set again, clear — each seen by a reader', async () => {
    const Def = def('smoke');
    await using w = await Def.onlineWriter(net.n0, within());
    await using r = Def.reader(net.n1);
    expect([r.isEmpty(), r.get()]).toEqual([true, undefined]);
    let v = await w.set(1);
    await r.when.reaches(v, within());
    expect([r.isEmpty(), r.get()]).toEqual([false, 1]);
    v = await w.set(2);
    await r.when.reaches(v, within());
    expect(r.get()).toBe(2);
    v = await w.set(3); // the original's `set` alias of `write`: one name here
    await r.when.reaches(v, within());
    expect(r.get()).toBe(3);
    v = await w.clear();
    await r.when.reaches(v, within());
    expect([r.isEmpty(), r.get()]).toEqual([true, undefined]);
  });

  it('catchup_single_reader: after 101 writes a late reader reads only the last (999), then follows', async () => {
    const Def = catchupDef('catchup');
    await using w = await Def.onlineWriter(net.n0, within());
    for (let i = 0; i < 100; i++) await w.set(i);
    const v = await w.set(999);
    await using late = Def.reader(net.n1);
    await late.when.reaches(v, within());
    expect(late.get()).toBe(999);
    const v2 = await w.set(1000);
    await late.when.reaches(v2, within());
    expect(late.get()).toBe(1000);
  });

  it('multiple_readers: three readers see a write, an overwrite and a clear', async () => {
    const Def = def('readers');
    await using w = await Def.onlineWriter(net.n0, within());
    const readers = [Def.reader(net.n1), Def.reader(net.n2), Def.reader(net.n3)];
    try {
      for (const [write, expected] of [
        [() => w.set(42), 42],
        [() => w.set(43), 43],
        [() => w.clear(), undefined],
      ] as const) {
        const v = await write();
        for (const r of readers) await r.when.reaches(v, within());
        for (const r of readers) expect(r.get()).toBe(expected);
      }
    } finally {
      await Promise.all(readers.map((r) => r.close()));
    }
  });

  it('multiple_writers: writers take turns; the reader tracks the latest each time; all equal at the end', async () => {
    const Def = def('writers');
    await using a = Def.writer(net.n0);
    await using b = Def.writer(net.n1);
    await using r = Def.reader(net.n2);
    await Promise.all([a.when.online(within()), b.when.online(within())]);
    let v = 0;
    for (let i = 0; i < 6; i++) {
      v = await (i % 2 === 0 ? a : b).set(i * 10);
      await r.when.reaches(v, within());
      expect(r.get()).toBe(i * 10);
    }
    await Promise.all([a.when.reaches(v, within()), b.when.reaches(v, within())]);
    expect([a.get(), b.get(), r.get()]).toEqual([50, 50, 50]);
  });

  it('catchup_multiple_readers: a late reader sees 999; a later one and the first both see 1000', async () => {
    const Def = catchupDef('catchup-many');
    await using w = await Def.onlineWriter(net.n0, within());
    for (let i = 0; i < 60; i++) await w.set(i);
    let v = await w.set(999);
    await using r1 = Def.reader(net.n1);
    await r1.when.reaches(v, within());
    expect(r1.get()).toBe(999);
    for (let i = 0; i < 60; i++) await w.set(i);
    v = await w.set(1000);
    await using r2 = Def.reader(net.n2);
    await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within())]);
    expect([r1.get(), r2.get()]).toEqual([1000, 1000]);
  });

  it('overwrite_keeps_latest: writes 1, 2, 3 leave 3', async () => {
    await using w = await def('overwrite').onlineWriter(net.n0, within());
    for (const i of [1, 2, 3]) await w.set(i);
    expect(w.get()).toBe(3);
  });

  it('clear_then_write: after a clear, a write of 100 is the value', async () => {
    await using w = await def('clear-write').onlineWriter(net.n0, within());
    await w.set(1);
    await w.clear();
    expect(w.isEmpty()).toBe(true);
    await w.set(100);
    expect(w.get()).toBe(100);
  });

  it('clear_empty: clearing an empty cell commits as a no-op; a later write works', async () => {
    await using w = await def('clear-empty').onlineWriter(net.n0, within());
    const before = w.version;
    const v = await w.clear();
    expect(v).toBeGreaterThan(before);
    expect(w.isEmpty()).toBe(true);
    await w.set(5);
    expect(w.get()).toBe(5);
  });

  it('many_writers_many_readers: write, overwrite, clear, write across two writers; all four read 30', async () => {
    const Def = def('many');
    await using a = Def.writer(net.n0);
    await using b = Def.writer(net.n1);
    await Promise.all([a.when.online(within()), b.when.online(within())]);
    await using r1 = Def.reader(net.n2);
    await using r2 = Def.reader(net.n3);
    await a.set(10);
    await b.set(20);
    await a.clear();
    const v = await b.set(30);
    for (const h of [a, r1, r2]) await h.when.reaches(v, within());
    expect([a, b, r1, r2].map((h) => h.get())).toEqual([30, 30, 30, 30]);
  });

  it('late_writer_catchup: a writer joining later reads 42, writes 99, both see 99', async () => {
    const Def = def('late-writer');
    await using w0 = await Def.onlineWriter(net.n0, within());
    const v = await w0.set(42);
    await using w1 = Def.writer(net.n1);
    await w1.when.reaches(v, within());
    expect(w1.get()).toBe(42);
    await w1.when.online(within());
    const v2 = await w1.set(99);
    expect(w1.get()).toBe(99);
    await w0.when.reaches(v2, within());
    expect(w0.get()).toBe(99);
  });

  it('writer_reads_own_writes: a Cell<string> writer sees its write and overwrite right after each await', async () => {
    const Def = defineCollection.cell<string>(storeName('own'), { consensus: FAST });
    await using w = await Def.onlineWriter(net.n0, within());
    await w.set('hello');
    expect(w.get()).toBe('hello');
    await w.set('world');
    expect(w.get()).toBe('world');
  });

  it('compare_exchange_success: (42 → 99) swaps', async () => {
    await using w = await def('cas-ok').onlineWriter(net.n0, within());
    await w.set(42);
    await w.compareExchange(42, 99);
    expect(w.get()).toBe(99);
  });

  it('compare_exchange_from_none: (empty → 10) fills an empty cell', async () => {
    await using w = await def('cas-from-none').onlineWriter(net.n0, within());
    await w.compareExchange(undefined, 10);
    expect(w.get()).toBe(10);
  });

  it('compare_exchange_to_none: (42 → empty) clears', async () => {
    await using w = await def('cas-to-none').onlineWriter(net.n0, within());
    await w.set(42);
    await w.compareExchange(42, undefined);
    expect(w.isEmpty()).toBe(true);
  });

  it('compare_exchange_mismatch_no_change: a wrong current value, and "empty" on a full cell, change nothing', async () => {
    await using w = await def('cas-mismatch').onlineWriter(net.n0, within());
    await w.set(42);
    const v1 = await w.compareExchange(41, 99);
    expect(w.get()).toBe(42);
    const v2 = await w.compareExchange(undefined, 99);
    expect(w.get()).toBe(42);
    expect(v2).toBeGreaterThan(v1); // mismatches are still commands in the log
  });

  it('compare_exchange_mismatch_on_empty: (42 → 99) on an empty cell leaves it empty', async () => {
    await using w = await def('cas-empty').onlineWriter(net.n0, within());
    await w.compareExchange(42, 99);
    expect(w.isEmpty()).toBe(true);
  });

  it('compare_exchange_replicates_to_readers: two readers see the swapped value', async () => {
    const Def = def('cas-readers');
    await using w = await Def.onlineWriter(net.n0, within());
    await using r1 = Def.reader(net.n1);
    await using r2 = Def.reader(net.n2);
    await w.set(42);
    const v = await w.compareExchange(42, 99);
    await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within())]);
    expect([r1.get(), r2.get()]).toEqual([99, 99]);
  });

  it('compare_exchange_chained: empty → 1 → 2 → 3 → empty', async () => {
    await using w = await def('cas-chain').onlineWriter(net.n0, within());
    const steps: [number | undefined, number | undefined][] = [
      [undefined, 1],
      [1, 2],
      [2, 3],
      [3, undefined],
    ];
    for (const [current, next] of steps) {
      await w.compareExchange(current, next);
      expect(w.get()).toBe(next);
    }
    expect(w.isEmpty()).toBe(true);
  });

  it('compare_exchange_mixed_with_write_clear: swaps interleaved with writes and clears', async () => {
    await using w = await def('cas-mixed').onlineWriter(net.n0, within());
    await w.set(1);
    await w.compareExchange(1, 2);
    expect(w.get()).toBe(2);
    await w.set(10);
    await w.compareExchange(2, 3); // stale expectation: no-op
    expect(w.get()).toBe(10);
    await w.clear();
    await w.compareExchange(undefined, 20);
    expect(w.get()).toBe(20);
    await w.compareExchange(20, undefined);
    await w.set(30);
    expect(w.get()).toBe(30);
  });

  it('compare_exchange_none_to_none: (empty → empty) on an empty cell keeps it empty; a later write works', async () => {
    await using w = await def('cas-none-none').onlineWriter(net.n0, within());
    const v = await w.compareExchange(undefined, undefined);
    expect(v).toBeGreaterThan(0);
    expect(w.isEmpty()).toBe(true);
    await w.set(7);
    expect(w.get()).toBe(7);
  });

  it('compare_exchange_catchup: a late reader sees 3 after a chain of swaps', async () => {
    const Def = catchupDef('cas-catchup');
    await using w = await Def.onlineWriter(net.n0, within());
    for (let i = 0; i < 60; i++) await w.set(i);
    await w.compareExchange(59, 1);
    await w.compareExchange(1, 2);
    const v = await w.compareExchange(2, 3);
    await using late = Def.reader(net.n1);
    await late.when.reaches(v, within());
    expect(late.get()).toBe(3);
  });

  it('write_clear_cycle: ten rounds of (write i, clear), then 999 — a reader ends on 999', async () => {
    const Def = def('cycle');
    await using w = await Def.onlineWriter(net.n0, within());
    await using r = Def.reader(net.n1);
    for (let i = 0; i < 10; i++) {
      await w.set(i);
      expect(w.get()).toBe(i);
      await w.clear();
      expect(w.isEmpty()).toBe(true);
    }
    const v = await w.set(999);
    await r.when.reaches(v, within());
    expect(r.get()).toBe(999);
  });

  it('construct_from_def: a Cell<string> definition — set, not empty, get — on writer and reader', async () => {
    const Def = defineCollection.cell<string>(storeName('def'), { consensus: FAST });
    await using w = await Def.asWriter().onlineWriter(net.n0, within());
    await using r = Def.asReader().reader(net.n1);
    const v = await w.set('hello');
    await r.when.reaches(v, within());
    expect([r.isEmpty(), r.get()]).toEqual([false, 'hello']);
  });

  it('construct_from_macro: a module-level Cell<string> definition opened online on two nodes replicates', async () => {
    await using w = await Greeting.onlineWriter(net.n0, within());
    await using r = await Greeting.onlineReader(net.n1, within());
    const v = await w.set('hi');
    await r.when.reaches(v, within());
    expect(r.get()).toBe('hi');
  });
});
