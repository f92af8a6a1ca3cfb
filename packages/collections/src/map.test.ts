import { describe, expect, it } from 'vitest';
import { FAST, sharedNodes, storeName, within } from '../test/fixtures.js';
import { defineCollection } from './collection.js';
import { CollectionError } from './errors.js';

const net = sharedNodes(undefined, 4);

const def = (what: string) => defineCollection.map<number, number>(storeName(what), { consensus: FAST });
/** Late handles catch up from a snapshot: the log is compacted well before the data is written. */
const catchupDef = (what: string) =>
  defineCollection.map<number, number>(storeName(what), {
    consensus: { ...FAST, snapshotThreshold: 50, snapshotKeep: 10 },
  });

/** The module-level definition a `collection!` declaration becomes. */
const TestMap = defineCollection.map<string, string>(storeName('test.map.macro'), { consensus: FAST });

describe('Map', () => {
  it('smoke_no_catchup: writer and reader replicate every kind of write', async () => {
    const Def = def('smoke');
    await using w = Def.writer(net.n0);
    await using r = Def.reader(net.n1);
    expect(r.size).toBe(0);
    expect(r.get(1)).toBeUndefined();
    expect([...r.entries()]).toEqual([]);
    await w.when.online(within());
    let v = await w.set(1, 10);
    expect(w.get(1)).toBe(10); // a writer reads its own write at once
    await r.when.reaches(v, within());
    expect(r.get(1)).toBe(10);
    v = await w.set(2, 20);
    v = await w.set(1, 11);
    await r.when.reaches(v, within());
    expect(r.size).toBe(2);
    expect(r.get(1)).toBe(11);
    v = await w.extend([
      [3, 30],
      [4, 40],
      [5, 50],
    ]);
    await r.when.reaches(v, within());
    expect([...r.keys()]).toEqual([1, 2, 3, 4, 5]);
    expect([...r.values()]).toEqual([11, 20, 30, 40, 50]);
    expect(r.has(3)).toBe(true);
    v = await w.delete(3);
    await r.when.reaches(v, within());
    expect(r.has(3)).toBe(false);
    v = await w.removeMany([2, 4, 999]);
    await r.when.reaches(v, within());
    expect(r.toMap()).toEqual(
      new Map([
        [1, 11],
        [5, 50],
      ]),
    );
    v = await w.clear();
    await r.when.reaches(v, within());
    expect(r.size).toBe(0);
    expect(await r.when.online(within())).toBeUndefined();
  });

  it('compareExchange follows the absent/present rules and a late reader catches up', async () => {
    const Def = def('cas');
    await using w = await Def.onlineWriter(net.n0, within());
    await w.compareExchange(1, undefined, 1);
    await w.compareExchange(1, undefined, 5); // present: mismatch
    expect(w.get(1)).toBe(1);
    await w.compareExchange(1, 1, 2);
    expect(w.get(1)).toBe(2);
    await w.compareExchange(1, 7, 3); // mismatch
    const v = await w.compareExchange(1, 2, undefined);
    expect(w.has(1)).toBe(false);
    for (let i = 0; i < 100; i++) await w.set(i, i * 10);
    const last = await w.extend([[1000, 1]]);
    expect(last).toBeGreaterThan(v);
    await using late = Def.reader(net.n2);
    await late.when.reaches(last, within());
    expect(late.size).toBe(101);
    expect(late.get(99)).toBe(990);
  });

  it('extend_empty: empty batches resolve with the current version without a command', async () => {
    const Def = def('empty');
    await using w = await Def.onlineWriter(net.n0, within());
    const v = await w.set(1, 1);
    expect(await w.extend([])).toBe(w.version);
    expect(await w.removeMany([])).toBeGreaterThanOrEqual(v);
  });

  it('multiple_writers: writers on two nodes serialize through the leader and every node agrees', async () => {
    const Def = def('writers');
    await using a = Def.writer(net.n0);
    await using b = Def.writer(net.n1);
    await using r = Def.reader(net.n2);
    await Promise.all([a.when.online(within()), b.when.online(within())]);
    for (let i = 0; i < 10; i++) await (i % 2 === 0 ? a : b).set(i, i);
    const v = await b.extend([[100, 100]]);
    await Promise.all([a.when.reaches(v, within()), r.when.reaches(v, within())]);
    expect([...a.entries()]).toEqual([...b.entries()]);
    expect([...r.entries()]).toEqual([...b.entries()]);
    expect(r.size).toBe(11);
  });

  it('a second handle on one node shares the replica; closing one keeps the other', async () => {
    const Def = def('shared');
    const w1 = await Def.onlineWriter(net.n0, within());
    const w2 = Def.writer(net.n0);
    expect(w2.groupId.equals(w1.groupId)).toBe(true);
    await w1.set(1, 1);
    expect(w2.get(1)).toBe(1);
    await w1.close();
    await w2.set(2, 2);
    expect(w2.size).toBe(2);
    await w2.close();
    await expect(w2.set(3, 3)).rejects.toBeInstanceOf(CollectionError);
  });

  it('rejects writes with encoding and terminated errors carrying the payload', async () => {
    const Def = def('errors');
    const w = await Def.onlineWriter(net.n0, within());
    const bad = w.set(1, Symbol('x') as unknown as number);
    await expect(bad).rejects.toMatchObject({ code: 'encoding', value: [1, expect.anything()] });
    await w.close();
    await expect(w.set(2, 2)).rejects.toMatchObject({ code: 'terminated', value: [2, 2] });
    await expect(w.when.reaches(1_000_000)).rejects.toMatchObject({ code: 'terminated' });
  });

  it('asReader and asWriter expose one side only; metrics count entries per store', async () => {
    const Def = def('sides');
    const R = Def.asReader();
    const W = Def.asWriter();
    expect(Object.keys(R).sort()).toEqual(['onlineReader', 'reader']);
    expect(Object.keys(W).sort()).toEqual(['onlineWriter', 'writer']);
    await using w = await W.onlineWriter(net.n0, within());
    await w.extend([
      [1, 1],
      [2, 2],
    ]);
    const gauge = await net.n0.node.metrics.registry.getSingleMetric('mosaik_collections_map_size')?.get();
    expect(gauge?.values.find((v) => v.labels.store === Def.storeId.short())?.value).toBe(2);
  });

  it('different kinds, types or validators give different group ids', () => {
    const name = storeName('ids');
    const a = defineCollection.map<number, number>(name);
    const b = defineCollection.vec<number>(name);
    const c = defineCollection.map<number, number>(name, { consensus: FAST });
    expect(a.groupId.equals(b.groupId)).toBe(false);
    expect(a.groupId.equals(c.groupId)).toBe(false);
    expect(a.groupId.equals(defineCollection.map<number, number>(name).groupId)).toBe(true);
  });
});

describe('Map (map.rs, one test per line)', () => {
  it('insert_overwrite: repeated sets of one key keep one entry with the last value', async () => {
    await using w = await def('overwrite').onlineWriter(net.n0, within());
    for (let i = 0; i < 5; i++) await w.set(1, i);
    expect([w.size, w.get(1)]).toEqual([1, 4]);
  });

  it('extend_overwrite: extend updates existing keys and adds new ones', async () => {
    await using w = await def('extend-overwrite').onlineWriter(net.n0, within());
    await w.extend([
      [1, 1],
      [2, 2],
    ]);
    await w.extend([
      [2, 20],
      [3, 30],
      [4, 40],
    ]);
    expect(w.toMap()).toEqual(
      new Map([
        [1, 1],
        [2, 20],
        [3, 30],
        [4, 40],
      ]),
    );
  });

  it('remove_nonexistent: deleting a missing key changes nothing but still commits', async () => {
    await using w = await def('remove-missing').onlineWriter(net.n0, within());
    const before = await w.set(1, 1);
    const v = await w.delete(999);
    expect(v).toBeGreaterThan(before);
    expect(w.toMap()).toEqual(new Map([[1, 1]]));
  });

  it('clear_then_rebuild: after clear and an insert only the new key is there', async () => {
    await using w = await def('rebuild').onlineWriter(net.n0, within());
    await w.extend([
      [1, 1],
      [2, 2],
    ]);
    await w.clear();
    await w.set(5, 5);
    expect([...w.entries()]).toEqual([[5, 5]]);
  });

  it('remove_all_entries: deleting the keys one by one empties the map; inserting again works', async () => {
    await using w = await def('remove-all').onlineWriter(net.n0, within());
    await w.extend([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    for (const k of [1, 2, 3]) await w.delete(k);
    expect(w.size).toBe(0);
    await w.set(4, 4);
    expect([...w.entries()]).toEqual([[4, 4]]);
  });

  it('writer_reads_own_writes: string keys and values', async () => {
    const Def = defineCollection.map<string, string>(storeName('strings'), { consensus: FAST });
    await using w = await Def.onlineWriter(net.n0, within());
    await w.set('hello', 'world');
    await w.set('foo', 'bar');
    expect([w.get('hello'), w.has('foo'), [...w.keys()]]).toEqual(['world', true, ['foo', 'hello']]);
  });

  it('late_writer_catchup: a second writer joining later sees everything and writes', async () => {
    const Def = def('late-writer');
    await using w0 = await Def.onlineWriter(net.n0, within());
    const v = await w0.extend([1, 2, 3, 4, 5].map((i) => [i, i] as const));
    await using w1 = Def.writer(net.n1);
    await w1.when.reaches(v, within());
    expect(w1.size).toBe(5);
    await w1.when.online(within());
    const v2 = await w1.set(99, 99);
    await w0.when.reaches(v2, within());
    expect(w0.get(99)).toBe(99);
  });

  it('many_writers_many_readers: two writers and two readers agree on keys {2, 3, 4, 5, 6}', async () => {
    const Def = def('many');
    await using a = Def.writer(net.n0);
    await using b = Def.writer(net.n1);
    await Promise.all([a.when.online(within()), b.when.online(within())]);
    await a.extend([1, 2, 3].map((i) => [i, i] as const));
    await using r1 = Def.reader(net.n2);
    await b.delete(1);
    await b.extend([4, 5].map((i) => [i, i] as const));
    await using r2 = Def.reader(net.n2);
    const v = await a.set(6, 6);
    for (const h of [b, r1, r2]) await h.when.reaches(v, within());
    for (const h of [a, b, r1, r2]) expect([...h.keys()]).toEqual([2, 3, 4, 5, 6]);
  });

  it('catchup_single_reader: a late reader sees all 103 entries, then follows remove(50)', async () => {
    const Def = catchupDef('catchup');
    await using w = await Def.onlineWriter(net.n0, within());
    for (let i = 0; i < 100; i++) await w.set(i, i * 10);
    const v = await w.extend([100, 101, 102].map((i) => [i, i * 10] as const));
    await using late = Def.reader(net.n1);
    await late.when.reaches(v, within());
    expect(late.size).toBe(103);
    expect(late.get(102)).toBe(1020);
    const v2 = await w.delete(50);
    await late.when.reaches(v2, within());
    expect([late.size, late.has(50)]).toEqual([102, false]);
  });

  it('multiple_readers: three readers see an extend of 5, an insert, a delete', async () => {
    const Def = def('readers');
    await using w = await Def.onlineWriter(net.n0, within());
    const readers = [Def.reader(net.n1), Def.reader(net.n2), Def.reader(net.n3)];
    try {
      let v = await w.extend([1, 2, 3, 4, 5].map((i) => [i, i] as const));
      for (const r of readers) await r.when.reaches(v, within());
      expect(readers.map((r) => r.size)).toEqual([5, 5, 5]);
      v = await w.set(6, 6);
      for (const r of readers) await r.when.reaches(v, within());
      expect(readers.map((r) => r.size)).toEqual([6, 6, 6]);
      v = await w.delete(3);
      for (const r of readers) await r.when.reaches(v, within());
      expect(readers.map((r) => [r.size, r.has(3)])).toEqual([
        [5, false],
        [5, false],
        [5, false],
      ]);
    } finally {
      await Promise.all(readers.map((r) => r.close()));
    }
  });

  it('catchup_multiple_readers: a late reader after 51 entries, another after 82, equal contents', async () => {
    const Def = catchupDef('catchup-many');
    await using w = await Def.onlineWriter(net.n0, within());
    const entries = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, k) => [from + k, (from + k) * 2] as const);
    let v = await w.extend(entries(0, 51));
    await using r1 = Def.reader(net.n1);
    await r1.when.reaches(v, within());
    expect(r1.size).toBe(51);
    v = await w.extend(entries(51, 82));
    await using r2 = Def.reader(net.n2);
    await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within())]);
    expect([r1.size, r2.size]).toEqual([82, 82]);
    expect([...r2.entries()]).toEqual([...r1.entries()]);
  });

  it('remove_many: several keys at once, partly missing ones ignored, an empty list sends nothing', async () => {
    await using w = await def('remove-many').onlineWriter(net.n0, within());
    await w.extend([1, 2, 3, 4, 5].map((i) => [i, i] as const));
    await w.removeMany([2, 4, 5]);
    expect([...w.keys()]).toEqual([1, 3]);
    await w.removeMany([1, 999]);
    expect([...w.keys()]).toEqual([3]);
    const at = w.version;
    expect(await w.removeMany([])).toBe(at);
    await w.set(6, 6);
    expect([...w.keys()]).toEqual([3, 6]);
  });

  it('compare_exchange_success: (1: 10 → 99) updates', async () => {
    await using w = await def('cas-ok').onlineWriter(net.n0, within());
    await w.set(1, 10);
    await w.compareExchange(1, 10, 99);
    expect(w.get(1)).toBe(99);
  });

  it('compare_exchange_insert_new_key: (1: absent → 10) inserts into an empty map', async () => {
    await using w = await def('cas-insert').onlineWriter(net.n0, within());
    await w.compareExchange(1, undefined, 10);
    expect(w.toMap()).toEqual(new Map([[1, 10]]));
  });

  it('compare_exchange_remove_key: (1: 10 → absent) removes key 1, key 2 untouched', async () => {
    await using w = await def('cas-remove').onlineWriter(net.n0, within());
    await w.extend([
      [1, 10],
      [2, 20],
    ]);
    await w.compareExchange(1, 10, undefined);
    expect(w.toMap()).toEqual(new Map([[2, 20]]));
  });

  it('compare_exchange_mismatch_no_change: a wrong expected value, and "absent" on a present key, change nothing', async () => {
    await using w = await def('cas-mismatch').onlineWriter(net.n0, within());
    await w.set(1, 10);
    await w.compareExchange(1, 11, 99);
    expect(w.get(1)).toBe(10);
    await w.compareExchange(1, undefined, 99);
    expect(w.get(1)).toBe(10);
  });

  it('compare_exchange_mismatch_on_missing_key: (1: 42 → 99) on an absent key leaves the map empty', async () => {
    await using w = await def('cas-missing').onlineWriter(net.n0, within());
    const v = await w.compareExchange(1, 42, 99);
    expect(v).toBeGreaterThan(0);
    expect(w.size).toBe(0);
  });

  it('compare_exchange_replicates_to_readers: two readers see the result; the other key is untouched', async () => {
    const Def = def('cas-readers');
    await using w = await Def.onlineWriter(net.n0, within());
    await using r1 = Def.reader(net.n1);
    await using r2 = Def.reader(net.n2);
    await w.extend([
      [1, 10],
      [2, 20],
    ]);
    const v = await w.compareExchange(1, 10, 99);
    await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within())]);
    for (const r of [r1, r2]) expect([r.get(1), r.get(2)]).toEqual([99, 20]);
  });

  it('compare_exchange_chained: absent → 1 → 2 → 3 → absent on one key', async () => {
    await using w = await def('cas-chain').onlineWriter(net.n0, within());
    const steps: [number | undefined, number | undefined][] = [
      [undefined, 1],
      [1, 2],
      [2, 3],
      [3, undefined],
    ];
    for (const [expected, next] of steps) {
      await w.compareExchange(7, expected, next);
      expect(w.get(7)).toBe(next);
    }
    expect(w.size).toBe(0);
  });

  it('compare_exchange_mixed_with_insert_remove: CAS interleaved with set, delete, clear and set', async () => {
    await using w = await def('cas-mixed').onlineWriter(net.n0, within());
    await w.set(1, 1);
    await w.compareExchange(1, 1, 2);
    await w.set(1, 10);
    await w.compareExchange(1, 2, 3); // stale expectation: no-op
    expect(w.get(1)).toBe(10);
    await w.delete(1);
    await w.compareExchange(1, undefined, 20);
    expect(w.get(1)).toBe(20);
    await w.clear();
    await w.set(2, 30);
    expect(w.toMap()).toEqual(new Map([[2, 30]]));
  });

  it('compare_exchange_multiple_keys: update one key, remove another, insert a third, all by CAS', async () => {
    await using w = await def('cas-keys').onlineWriter(net.n0, within());
    await w.extend([
      [1, 10],
      [2, 20],
    ]);
    await w.compareExchange(1, 10, 11);
    await w.compareExchange(2, 20, undefined);
    await w.compareExchange(3, undefined, 30);
    expect(w.toMap()).toEqual(
      new Map([
        [1, 11],
        [3, 30],
      ]),
    );
  });

  it('compare_exchange_none_to_none: (1: absent → absent) on an empty map keeps it empty; an insert works after', async () => {
    await using w = await def('cas-none').onlineWriter(net.n0, within());
    await w.compareExchange(1, undefined, undefined);
    expect(w.size).toBe(0);
    await w.set(1, 1);
    expect(w.get(1)).toBe(1);
  });

  it('compare_exchange_catchup: a state built by CAS reaches a late reader as {1: 100, 2: 20}', async () => {
    const Def = catchupDef('cas-catchup');
    await using w = await Def.onlineWriter(net.n0, within());
    for (let i = 0; i < 60; i++) await w.set(1000 + i, i); // compacts the log
    await w.removeMany(Array.from({ length: 60 }, (_, i) => 1000 + i));
    await w.compareExchange(1, undefined, 10);
    await w.compareExchange(2, undefined, 20);
    const v = await w.compareExchange(1, 10, 100);
    await using late = Def.reader(net.n1);
    await late.when.reaches(v, within());
    expect(late.toMap()).toEqual(
      new Map([
        [1, 100],
        [2, 20],
      ]),
    );
  });

  it('compare_exchange_string_keys: insert, update and delete by CAS on a Map<string, string>', async () => {
    const Def = defineCollection.map<string, string>(storeName('cas-strings'), { consensus: FAST });
    await using w = await Def.onlineWriter(net.n0, within());
    await w.compareExchange('k', undefined, 'v1');
    expect(w.get('k')).toBe('v1');
    await w.compareExchange('k', 'v1', 'v2');
    expect(w.get('k')).toBe('v2');
    await w.compareExchange('k', 'nope', 'v3');
    expect(w.get('k')).toBe('v2');
    await w.compareExchange('k', 'v2', undefined);
    expect(w.has('k')).toBe(false);
  });

  it('construct_from_def: the writer and reader sides of a Map<string, string> definition replicate', async () => {
    const Def = defineCollection.map<string, string>(storeName('test1'), { consensus: FAST });
    await using w = await Def.asWriter().onlineWriter(net.n0, within());
    await using r = Def.asReader().reader(net.n1);
    const v = await w.set('hello', 'world');
    await r.when.reaches(v, within());
    expect(r.get('hello')).toBe('world');
  });

  it('construct_from_macro: a module-level Map<string, string> definition, opened online, replicates', async () => {
    await using w = await TestMap.onlineWriter(net.n0, within());
    await using r = await TestMap.onlineReader(net.n1, within());
    const v = await w.set('key', 'value');
    await r.when.reaches(v, within());
    expect(r.get('key')).toBe('value');
  });
});
