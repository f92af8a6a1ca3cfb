/**
 * PriorityQueue: one test per line of the original's depq.rs inventory (TESTS.md maps them),
 * plus the port's own checks (capacity in the group id, UTF-8 order of string priorities).
 * Insert arguments are (priority, key, value). Writers and readers are on different nodes unless
 * a line says otherwise.
 */
import { describe, expect, it } from 'vitest';
import { FAST, sharedNodes, storeName, within } from '../test/fixtures.js';
import { defineCollection } from './collection.js';
import { range } from './pq.js';

const net = sharedNodes(undefined, 4);

const def = (what: string, capacity?: number) =>
  defineCollection.priorityQueue<number, number, number>(storeName(what), {
    consensus: FAST,
    ...(capacity === undefined ? {} : { capacity }),
  });
/** Late handles catch up from a snapshot: the log is compacted well before the data is written. */
const catchupDef = (what: string) =>
  defineCollection.priorityQueue<number, number, number>(storeName(what), {
    consensus: { ...FAST, snapshotThreshold: 50, snapshotKeep: 10 },
  });
const priorities = (entries: Iterable<readonly [number, unknown, unknown]>) => [...entries].map((e) => e[0]);
const keys = (entries: Iterable<readonly [unknown, number, unknown]>) => [...entries].map((e) => e[1]);
const five = [10, 20, 30, 40, 50].map((p) => [p, p / 10, p * 10] as const);

/** Module-level definitions, what `collection!` declarations become. */
const TestQueue = defineCollection.priorityQueue<number, string, string>(storeName('test.pq.macro'), {
  consensus: FAST,
});
const TestBounded = defineCollection.priorityQueue<number, string, string>(storeName('test.pq.bounded'), {
  consensus: FAST,
  capacity: 5,
});

describe('PriorityQueue (depq.rs, one test per line)', () => {
  it('smoke_no_catchup: empty reads, min/max, upsert, extend, asc/desc, delete, clear', async () => {
    const Def = def('smoke');
    await using w = await Def.onlineWriter(net.n0, within());
    await using r = Def.reader(net.n1);
    expect([
      r.getMin(),
      r.getMax(),
      r.minPriority(),
      r.maxPriority(),
      r.get(1),
      r.getPriority(1),
      r.has(1),
    ]).toEqual([undefined, undefined, undefined, undefined, undefined, undefined, false]);
    expect([...r.entries()]).toEqual([]);
    expect(r.capacity).toBe(Number.POSITIVE_INFINITY);
    await w.insert(10, 1, 100);
    expect(w.getMin()).toEqual(w.getMax());
    await w.insert(20, 2, 200);
    await w.insert(5, 3, 300);
    expect([w.getMin(), w.getMax()]).toEqual([
      [5, 3, 300],
      [20, 2, 200],
    ]);
    await w.insert(30, 1, 101); // upsert: new priority and value
    expect([w.size, w.get(1), w.getPriority(1)]).toEqual([3, 101, 30]);
    let v = await w.extend([
      [15, 4, 400],
      [25, 5, 500],
    ]);
    await r.when.reaches(v, within());
    expect([r.getMin(), r.getMax()]).toEqual([
      [5, 3, 300],
      [30, 1, 101],
    ]);
    expect(priorities(r.entries())).toEqual([5, 15, 20, 25, 30]);
    expect(priorities(r.entriesDesc())).toEqual([30, 25, 20, 15, 5]);
    v = await w.delete(3);
    await r.when.reaches(v, within());
    expect(r.minPriority()).toBe(15);
    v = await w.clear();
    await r.when.reaches(v, within());
    expect([r.getMin(), r.getMax(), r.size]).toEqual([undefined, undefined, 0]);
  });

  it('catchup_single_reader: a late reader has all values and priorities (min 0, max 1020); a delete follows', async () => {
    const Def = catchupDef('catchup');
    await using w = await Def.onlineWriter(net.n0, within());
    for (let i = 0; i < 100; i++) await w.insert(i * 10, i, i);
    const v = await w.extend([100, 101, 102].map((i) => [i * 10, i, i] as const));
    await using late = Def.reader(net.n1);
    await late.when.reaches(v, within());
    expect(late.size).toBe(103);
    expect(
      Array.from({ length: 103 }, (_, i) => late.get(i) === i && late.getPriority(i) === i * 10),
    ).not.toContain(false);
    expect([late.minPriority(), late.maxPriority()]).toEqual([0, 1020]);
    const v2 = await w.delete(0);
    await late.when.reaches(v2, within());
    expect([late.size, late.minPriority()]).toEqual([102, 10]);
  });

  it('multiple_readers: three readers agree on len/min/max/get after an extend, an insert (max 60), a delete (min 20)', async () => {
    const Def = def('readers');
    await using w = await Def.onlineWriter(net.n0, within());
    const readers = [Def.reader(net.n1), Def.reader(net.n2), Def.reader(net.n3)];
    const seen = (r: (typeof readers)[number]) => [r.size, r.minPriority(), r.maxPriority(), r.get(3)];
    try {
      let v = await w.extend(five);
      for (const r of readers) await r.when.reaches(v, within());
      for (const r of readers) expect(seen(r)).toEqual([5, 10, 50, 300]);
      v = await w.insert(60, 6, 600);
      for (const r of readers) await r.when.reaches(v, within());
      for (const r of readers) expect(seen(r)).toEqual([6, 10, 60, 300]);
      v = await w.delete(1);
      for (const r of readers) await r.when.reaches(v, within());
      for (const r of readers) expect(seen(r)).toEqual([5, 20, 60, 300]);
    } finally {
      await Promise.all(readers.map((r) => r.close()));
    }
  });

  it('multiple_writers: inserts from two writers give identical ascending entries on every node', async () => {
    const Def = def('writers');
    await using a = Def.writer(net.n0);
    await using b = Def.writer(net.n1);
    await using r = Def.reader(net.n2);
    await Promise.all([a.when.online(within()), b.when.online(within())]);
    let v = 0;
    for (let i = 0; i < 6; i++) v = await (i % 2 === 0 ? a : b).insert(60 - i * 10, i, i);
    await Promise.all([a.when.reaches(v, within()), r.when.reaches(v, within())]);
    expect(priorities(a.entries())).toEqual([10, 20, 30, 40, 50, 60]);
    expect([...b.entries()]).toEqual([...a.entries()]);
    expect([...r.entries()]).toEqual([...a.entries()]);
  });

  it('catchup_multiple_readers: a late reader after 51 entries, another after 82; identical ascending entries', async () => {
    const Def = catchupDef('catchup-many');
    await using w = await Def.onlineWriter(net.n0, within());
    const entries = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, k) => [from + k, from + k, (from + k) * 10] as const);
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

  it('insert_overwrite: inserting a key again with a new priority leaves its old bucket (min = max = 99)', async () => {
    await using w = await def('overwrite').onlineWriter(net.n0, within());
    await w.insert(10, 1, 100);
    await w.insert(99, 1, 200);
    expect([w.size, w.minPriority(), w.maxPriority(), w.get(1)]).toEqual([1, 99, 99, 200]);
  });

  it('update_priority: 10 → 50 keeps the value and moves min/max; an unknown key is a no-op', async () => {
    await using w = await def('update-priority').onlineWriter(net.n0, within());
    await w.extend([
      [10, 1, 100],
      [20, 2, 200],
    ]);
    await w.updatePriority(1, 50);
    expect([w.get(1), w.getPriority(1), w.minPriority(), w.maxPriority()]).toEqual([100, 50, 20, 50]);
    await w.updatePriority(99, 1);
    expect([w.size, w.has(99), w.minPriority()]).toEqual([2, false, 20]);
  });

  it('update_value: the value changes and the priority stays; an unknown key is a no-op', async () => {
    await using w = await def('update-value').onlineWriter(net.n0, within());
    await w.insert(10, 1, 100);
    await w.updateValue(1, 111);
    expect([w.get(1), w.getPriority(1)]).toEqual([111, 10]);
    await w.updateValue(99, 1);
    expect([w.size, w.has(99)]).toEqual([1, false]);
  });

  it('remove_range: below 25 removes 10 and 20; at least 45 removes 50; 20..=40 after a refill removes three; all clears', async () => {
    await using w = await def('range').onlineWriter(net.n0, within());
    await w.extend(five);
    await w.removeRange(range.below(25));
    expect(priorities(w.entries())).toEqual([30, 40, 50]);
    await w.removeRange(range.atLeast(45));
    expect(priorities(w.entries())).toEqual([30, 40]);
    await w.extend(five);
    await w.removeRange(range.betweenInclusive(20, 40));
    expect(priorities(w.entries())).toEqual([10, 50]);
    await w.removeRange(range.all());
    expect(w.size).toBe(0);
  });

  it('remove_nonexistent: deleting a missing key changes nothing but still commits', async () => {
    await using w = await def('remove-missing').onlineWriter(net.n0, within());
    const before = await w.extend(five);
    const v = await w.delete(999);
    expect(v).toBeGreaterThan(before);
    expect(w.size).toBe(5);
  });

  it('clear_then_rebuild: after clear and an insert only the new entry is there', async () => {
    await using w = await def('rebuild').onlineWriter(net.n0, within());
    await w.extend(five);
    await w.clear();
    await w.insert(7, 70, 700);
    expect([...w.entries()]).toEqual([[7, 70, 700]]);
  });

  it('extend_empty: extend([]) resolves with the current version and changes nothing', async () => {
    await using w = await def('extend-empty').onlineWriter(net.n0, within());
    await w.insert(10, 1, 100);
    const at = w.version;
    expect(await w.extend([])).toBe(at);
    expect(w.size).toBe(1);
  });

  it('extend_overwrite: an extend over existing keys updates priority and value and adds the new key', async () => {
    await using w = await def('extend-overwrite').onlineWriter(net.n0, within());
    await w.extend([
      [10, 1, 100],
      [20, 2, 200],
    ]);
    await w.extend([
      [15, 1, 150],
      [25, 2, 250],
      [30, 3, 300],
    ]);
    expect([...w.entries()]).toEqual([
      [15, 1, 150],
      [25, 2, 250],
      [30, 3, 300],
    ]);
  });

  it('same_priority_bucket: one of three keys at priority 10 is the min (the same everywhere) until the bucket empties', async () => {
    const Def = def('bucket');
    await using w = await Def.onlineWriter(net.n0, within());
    await using r = Def.reader(net.n1);
    const v = await w.extend([
      [10, 3, 0],
      [10, 1, 0],
      [10, 2, 0],
      [20, 9, 0],
    ]);
    await r.when.reaches(v, within());
    expect([1, 2, 3]).toContain(r.getMin()?.[1]);
    expect(r.getMin()).toEqual(w.getMin()); // ties broken the same way on every node
    await w.removeMany([1, 2]);
    expect(w.minPriority()).toBe(10);
    await w.delete(3);
    expect(w.minPriority()).toBe(20);
  });

  it('many_writers_many_readers: two writers and two readers agree on keys {2, 3, 4, 5, 6}', async () => {
    const Def = def('many');
    await using a = Def.writer(net.n0);
    await using b = Def.writer(net.n1);
    await Promise.all([a.when.online(within()), b.when.online(within())]);
    await using r1 = Def.reader(net.n2);
    await using r2 = Def.reader(net.n3);
    await a.extend([1, 2, 3].map((k) => [k * 10, k, k] as const));
    await b.delete(1);
    await b.extend([4, 5].map((k) => [k * 10, k, k] as const));
    const v = await a.insert(60, 6, 6);
    for (const h of [b, r1, r2]) await h.when.reaches(v, within());
    for (const h of [a, b, r1, r2]) expect(keys(h.entries())).toEqual([2, 3, 4, 5, 6]);
  });

  it('late_writer_catchup: a writer joining later sees the 5 entries and inserts one, seen by both', async () => {
    const Def = def('late-writer');
    await using w0 = await Def.onlineWriter(net.n0, within());
    const v = await w0.extend(five);
    await using w1 = Def.writer(net.n1);
    await w1.when.reaches(v, within());
    expect(w1.size).toBe(5);
    await w1.when.online(within());
    const v2 = await w1.insert(99, 99, 990);
    await w0.when.reaches(v2, within());
    expect([w0.getMax(), w1.getMax()]).toEqual([
      [99, 99, 990],
      [99, 99, 990],
    ]);
  });

  it('writer_reads_own_writes: a PriorityQueue<number, string, string> lists [(10, hello, world), (20, foo, bar)]', async () => {
    const Def = defineCollection.priorityQueue<number, string, string>(storeName('own'), { consensus: FAST });
    await using w = await Def.onlineWriter(net.n0, within());
    await w.insert(20, 'foo', 'bar');
    await w.insert(10, 'hello', 'world');
    expect([...w.entries()]).toEqual([
      [10, 'hello', 'world'],
      [20, 'foo', 'bar'],
    ]);
  });

  it('remove_all_entries: deleting the keys one by one empties the queue (no min or max); inserting again works', async () => {
    await using w = await def('remove-all').onlineWriter(net.n0, within());
    await w.extend(five.slice(0, 3));
    for (const k of [1, 2, 3]) await w.delete(k);
    expect([w.size, w.getMin(), w.getMax()]).toEqual([0, undefined, undefined]);
    await w.insert(5, 5, 5);
    expect(w.getMin()).toEqual([5, 5, 5]);
  });

  it('remove_keys: several keys at once move min/max; missing keys are ignored; an empty list sends nothing', async () => {
    await using w = await def('remove-keys').onlineWriter(net.n0, within());
    await w.extend(five);
    await w.removeMany([1, 5]);
    expect([w.minPriority(), w.maxPriority()]).toEqual([20, 40]);
    await w.removeMany([2, 999]);
    expect(keys(w.entries())).toEqual([3, 4]);
    const at = w.version;
    expect(await w.removeMany([])).toBe(at);
    expect(w.size).toBe(2);
  });

  it('remove_range_empty: remove_range(below 100) on an empty queue commits (single-node writer)', async () => {
    await using w = await def('range-empty').onlineWriter(net.n0, within());
    const v = await w.removeRange(range.below(100));
    expect(v).toBeGreaterThan(0);
    expect(w.size).toBe(0);
  });

  it('iter_ordering_after_mutations: ascending and descending stay sorted after delete and update_priority', async () => {
    await using w = await def('ordering').onlineWriter(net.n0, within());
    await w.extend([30, 10, 50, 20, 40].map((p) => [p, p, p] as const));
    expect(priorities(w.entries())).toEqual([10, 20, 30, 40, 50]);
    expect(priorities(w.entriesDesc())).toEqual([50, 40, 30, 20, 10]);
    await w.delete(30);
    await w.updatePriority(10, 60);
    expect(priorities(w.entries())).toEqual([20, 40, 50, 60]);
    expect(keys(w.entriesDesc())).toEqual([10, 50, 40, 20]);
  });

  it('compare_exchange_value_success: 100 → 200 with the priority kept', async () => {
    await using w = await def('cas-ok').onlineWriter(net.n0, within());
    await w.insert(10, 1, 100);
    await w.compareExchangeValue(1, 100, 200);
    expect([w.get(1), w.getPriority(1)]).toEqual([200, 10]);
  });

  it('compare_exchange_value_remove: expected 100 and no new value removes key 1 only', async () => {
    await using w = await def('cas-remove').onlineWriter(net.n0, within());
    await w.extend([
      [10, 1, 100],
      [20, 2, 200],
    ]);
    await w.compareExchangeValue(1, 100, undefined);
    expect([...w.entries()]).toEqual([[20, 2, 200]]);
  });

  it('compare_exchange_value_mismatch: a wrong expected value leaves the entry, with or without a new value', async () => {
    await using w = await def('cas-mismatch').onlineWriter(net.n0, within());
    await w.insert(10, 1, 100);
    await w.compareExchangeValue(1, 999, 200);
    await w.compareExchangeValue(1, 999, undefined);
    expect([...w.entries()]).toEqual([[10, 1, 100]]);
  });

  it('compare_exchange_value_missing_key: on an empty queue and on a different key, nothing happens', async () => {
    await using w = await def('cas-missing').onlineWriter(net.n0, within());
    await w.compareExchangeValue(1, 100, 200);
    expect(w.size).toBe(0);
    await w.insert(10, 2, 100);
    await w.compareExchangeValue(1, 100, 200);
    expect([...w.entries()]).toEqual([[10, 2, 100]]);
  });

  it('compare_exchange_value_replicates_to_readers: two readers see the new value with the priority kept', async () => {
    const Def = def('cas-readers');
    await using w = await Def.onlineWriter(net.n0, within());
    await using r1 = Def.reader(net.n1);
    await using r2 = Def.reader(net.n2);
    await w.extend([
      [10, 1, 100],
      [20, 2, 200],
    ]);
    const v = await w.compareExchangeValue(2, 200, 222);
    for (const r of [r1, r2]) {
      await r.when.reaches(v, within());
      expect([...r.entries()]).toEqual([
        [10, 1, 100],
        [20, 2, 222],
      ]);
    }
  });

  it('compare_exchange_value_chained: 100 → 200 → 300 → removed', async () => {
    await using w = await def('cas-chain').onlineWriter(net.n0, within());
    await w.insert(10, 1, 100);
    await w.compareExchangeValue(1, 100, 200);
    await w.compareExchangeValue(1, 200, 300);
    expect([w.get(1), w.getPriority(1)]).toEqual([300, 10]);
    await w.compareExchangeValue(1, 300, undefined);
    expect(w.has(1)).toBe(false);
  });

  it('compare_exchange_value_preserves_priority: the middle entry’s value changes; min, max and order do not', async () => {
    await using w = await def('cas-priority').onlineWriter(net.n0, within());
    await w.extend(five.slice(0, 3));
    await w.compareExchangeValue(2, 200, 222);
    expect([w.minPriority(), w.maxPriority()]).toEqual([10, 30]);
    expect([...w.entries()]).toEqual([
      [10, 1, 100],
      [20, 2, 222],
      [30, 3, 300],
    ]);
  });

  it('compare_exchange_value_mixed_with_mutations: with update_value, update_priority (value still matches), a removal and a fresh insert', async () => {
    await using w = await def('cas-mixed').onlineWriter(net.n0, within());
    await w.insert(10, 1, 100);
    await w.updateValue(1, 150);
    await w.compareExchangeValue(1, 100, 999); // stale: no-op
    expect(w.get(1)).toBe(150);
    await w.updatePriority(1, 40);
    await w.compareExchangeValue(1, 150, 160); // the value still matches after a priority change
    expect([w.get(1), w.getPriority(1)]).toEqual([160, 40]);
    await w.compareExchangeValue(1, 160, undefined);
    await w.insert(5, 1, 1);
    expect([...w.entries()]).toEqual([[5, 1, 1]]);
  });

  it('compare_exchange_value_catchup: a late reader sees the swapped values with the original priorities', async () => {
    const Def = catchupDef('cas-catchup');
    await using w = await Def.onlineWriter(net.n0, within());
    for (let i = 0; i < 60; i++) await w.insert(1000 + i, 1000 + i, i); // compacts the log
    await w.removeRange(range.atLeast(1000));
    await w.extend([
      [10, 1, 100],
      [20, 2, 200],
    ]);
    await w.compareExchangeValue(1, 100, 111);
    const v = await w.compareExchangeValue(2, 200, 222);
    await using late = Def.reader(net.n1);
    await late.when.reaches(v, within());
    expect([...late.entries()]).toEqual([
      [10, 1, 111],
      [20, 2, 222],
    ]);
  });

  it('compare_exchange_value_remove_affects_minmax: removing the min, then the max entry by CAS moves min and max', async () => {
    await using w = await def('cas-minmax').onlineWriter(net.n0, within());
    await w.extend(five.slice(0, 3));
    await w.compareExchangeValue(1, 100, undefined);
    expect([w.minPriority(), w.maxPriority()]).toEqual([20, 30]);
    await w.compareExchangeValue(3, 300, undefined);
    expect([w.minPriority(), w.maxPriority()]).toEqual([20, 20]);
  });

  it('construct_from_def: the writer and reader sides of a PriorityQueue<number, string, string> definition replicate', async () => {
    const Def = defineCollection.priorityQueue<number, string, string>(storeName('def'), { consensus: FAST });
    await using w = await Def.asWriter().onlineWriter(net.n0, within());
    await using r = Def.asReader().reader(net.n1);
    const v = await w.insert(1, 'k', 'v');
    await r.when.reaches(v, within());
    expect([...r.entries()]).toEqual([[1, 'k', 'v']]);
  });

  it('construct_from_macro: a module-level PriorityQueue<number, string, string> definition, opened online, replicates', async () => {
    await using w = await TestQueue.onlineWriter(net.n0, within());
    await using r = await TestQueue.onlineReader(net.n1, within());
    const v = await w.insert(2, 'a', 'b');
    await r.when.reaches(v, within());
    expect(r.get('a')).toBe('b');
  });

  it('bounded_evicts_lowest_priority: with capacity 3 a 4th insert (priority 40) evicts priority 10 (min 20, max 40)', async () => {
    const Def = def('bounded-evict', 3);
    await using w = await Def.onlineWriter(net.n0, within());
    await using r = Def.reader(net.n1);
    expect(w.capacity).toBe(3);
    await w.extend(five.slice(0, 3));
    const v = await w.insert(40, 4, 400);
    await r.when.reaches(v, within());
    expect([r.size, r.has(1), r.minPriority(), r.maxPriority()]).toEqual([3, false, 20, 40]);
  });

  it('bounded_insert_lower_than_all: with capacity 2 an insert below all evicts itself, seen right after the await', async () => {
    await using w = await def('bounded-self', 2).onlineWriter(net.n0, within());
    await w.extend(five.slice(1, 3));
    await w.insert(5, 9, 90);
    expect([w.size, w.has(9), w.minPriority()]).toEqual([2, false, 20]);
  });

  it('bounded_extend_evicts_multiple: capacity 3, two entries, an extend of three keeps keys 3, 4, 5', async () => {
    await using w = await def('bounded-extend', 3).onlineWriter(net.n0, within());
    await w.extend(five.slice(0, 2));
    await w.extend(five.slice(2));
    expect(keys(w.entries())).toEqual([3, 4, 5]);
  });

  it('bounded_update_priority_no_eviction: a full queue of 3 keeps 3 through update_priority (min 20, max 50)', async () => {
    await using w = await def('bounded-update', 3).onlineWriter(net.n0, within());
    await w.extend(five.slice(0, 3));
    await w.updatePriority(1, 50);
    expect([w.size, w.minPriority(), w.maxPriority()]).toEqual([3, 20, 50]);
  });

  it('bounded_upsert_no_eviction: in a full queue of 2, upserting a key with a lower priority evicts nothing', async () => {
    await using w = await def('bounded-upsert', 2).onlineWriter(net.n0, within());
    await w.extend(five.slice(0, 2));
    await w.insert(1, 2, 2);
    expect([...w.entries()]).toEqual([
      [1, 2, 2],
      [10, 1, 100],
    ]);
  });

  it('bounded_collection_macro: a module-level capacity-5 definition; the 6th insert evicts "k0"', async () => {
    await using w = await TestBounded.onlineWriter(net.n0, within());
    for (let i = 0; i < 6; i++) await w.insert(i, `k${i}`, `v${i}`);
    expect([w.size, w.has('k0'), w.minPriority()]).toEqual([5, false, 1]);
  });

  it('bounded and unbounded queues of one name are different groups (the port checks capacity is in the id)', () => {
    const name = storeName('caps');
    const ids = [undefined, 3, 5].map(
      (capacity) =>
        defineCollection.priorityQueue<number, number, number>(
          name,
          capacity === undefined ? {} : { capacity },
        ).groupId,
    );
    expect(new Set(ids.map(String)).size).toBe(3);
  });

  it('the other range helpers: above, between (half-open) and at most', async () => {
    await using w = await def('range-helpers').onlineWriter(net.n0, within());
    await w.extend(five);
    await w.removeRange(range.above(40));
    expect(priorities(w.entries())).toEqual([10, 20, 30, 40]);
    await w.removeRange(range.between(20, 40));
    expect(priorities(w.entries())).toEqual([10, 40]);
    await w.removeRange(range.atMost(10));
    expect(priorities(w.entries())).toEqual([40]);
  });

  it('string priorities order by UTF-8 bytes (as the original), not UTF-16 units', async () => {
    const Def = defineCollection.priorityQueue<string, string, string>(storeName('utf8'), {
      consensus: FAST,
    });
    await using w = await Def.onlineWriter(net.n0, within());
    await w.insert('\u{1F600}', 'emoji', 'x'); // UTF-16 starts 0xD83D, UTF-8 starts 0xF0
    await w.insert('\uFF21', 'fullwidth', 'y'); // UTF-16 0xFF21, UTF-8 0xEF
    expect(w.getMax()?.[1]).toBe('emoji');
  });
});
