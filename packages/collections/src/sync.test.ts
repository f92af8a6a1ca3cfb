/**
 * Catch-up (sync/*.rs): a late replica joins after the data exists and the log was compacted, so
 * it installs a Raft snapshot of the state and then follows the log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, FAST, storeName, T, type TestNode, until, within } from '../test/fixtures.js';
import { defineCollection } from './collection.js';

const cluster = new Cluster();
let n0: TestNode;
let n1: TestNode;
let n2: TestNode;
let n3: TestNode;

beforeAll(async () => {
  [n0, n1, n2, n3] = (await cluster.addMany(4)) as [TestNode, TestNode, TestNode, TestNode];
});
afterAll(() => cluster.close());

const consensus = { ...FAST, snapshotThreshold: 100, snapshotKeep: 10 };
const mapDef = (what: string) => defineCollection.map<number, number>(storeName(what), { consensus });
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('Map catch-up (sync/map.rs)', () => {
  it.each([
    [1, false],
    [1000, false],
    [10_000, true],
  ])('frozen(%i entries, one extend: %s): w0, r1 and late r2 hold identical data', async (size, oneshot) => {
    const Def = mapDef('frozen');
    await using w = await Def.onlineWriter(n0, within());
    await using r1 = Def.reader(n1);
    let v = 0;
    if (oneshot) v = await w.extend(range(size).map((i) => [i, i * 10] as const));
    else
      for (let i = 0; i < size; i += 50)
        v = await w.extend(range(Math.min(50, size - i)).map((j) => [i + j, (i + j) * 10] as const));
    await using r2 = Def.reader(n2);
    await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within(T * 2))]);
    expect(r2.size).toBe(size);
    expect([...r2.entries()]).toEqual([...w.entries()]);
    expect([...r1.entries()]).toEqual([...w.entries()]);
  });

  it('writes_during_sync: single writes issued while the late reader syncs all arrive', async () => {
    const Def = mapDef('during');
    await using w = await Def.onlineWriter(n0, within());
    await w.extend(range(2000).map((i) => [i, i] as const));
    await using r2 = Def.reader(n2);
    let v = 0;
    for (let i = 2000; i < 2100; i++) v = await w.set(i, i);
    await r2.when.reaches(v, within());
    expect(r2.size).toBe(2100);
    expect(r2.get(2099)).toBe(2099);
  });

  it('empty and single_entry: an empty map syncs; one entry reaches r1 and late r2', async () => {
    const Def = mapDef('single');
    await using w = await Def.onlineWriter(n0, within());
    await using r1 = await Def.onlineReader(n1, within());
    expect(r1.size).toBe(0);
    const v = await w.set(7, 70);
    await using r2 = Def.reader(n2);
    await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within())]);
    expect([r1.get(7), r2.get(7), r2.size]).toEqual([70, 70, 1]);
  });

  it('reader_before_writer: a reader created first comes online once a writer exists', async () => {
    const Def = mapDef('first');
    await using r = Def.reader(n1);
    await using w = Def.writer(n0);
    await Promise.all([r.when.online(within()), w.when.online(within())]);
    const v = await w.extend(range(100).map((i) => [i, i] as const));
    await r.when.reaches(v, within());
    expect(r.size).toBe(100);
  });

  it('many_readers: three readers created at once on other nodes all reach the data', async () => {
    const Def = mapDef('many');
    await using w = await Def.onlineWriter(n0, within());
    const v = await w.extend(range(1000).map((i) => [i, i] as const));
    const readers = [n1, n2, n3].map((n) => Def.reader(n));
    await Promise.all(readers.map((r) => r.when.reaches(v, within())));
    for (const r of readers) expect(r.size).toBe(1000);
    await Promise.all(readers.map((r) => r.close()));
  });

  it('concurrent_reads_during_sync: a syncing reader never shows a partial state', async () => {
    const Def = mapDef('partial');
    await using w = await Def.onlineWriter(n0, within());
    const v = await w.extend(range(10_000).map((i) => [i, i] as const));
    await using r2 = Def.reader(n2);
    const sizes = new Set<number>();
    await until(() => {
      const size = r2.size;
      sizes.add(size);
      if (size > 0) expect(r2.get(0)).toBe(0);
      return r2.version >= v;
    }, 'late reader did not reach');
    expect([...sizes].every((s) => s === 0 || s === 10_000)).toBe(true);
  });

  it('clear_and_repopulate, mixed_mutations, overwrite_keys, extend_with_overlapping_keys', async () => {
    const Def = mapDef('mixed');
    await using w = await Def.onlineWriter(n0, within());
    await w.extend(range(500).map((i) => [i, i] as const));
    await w.clear();
    await w.extend(range(200).map((i) => [i, i * 2] as const));
    await w.extend(range(100).map((i) => [i + 150, 1000 + i] as const)); // overlaps 150..199
    await w.set(0, 1000);
    await w.delete(1);
    await w.removeMany([2, 3, 999]);
    const v = await w.set(0, 1001);
    await using r2 = Def.reader(n2);
    await r2.when.reaches(v, within());
    expect(r2.size).toBe(250 - 3);
    expect([r2.get(0), r2.get(1), r2.get(149), r2.get(150), r2.get(249)]).toEqual([
      1001,
      undefined,
      298,
      1000,
      1099,
    ]);
    expect([...r2.entries()]).toEqual([...w.entries()]);
  });

  it('large_values: 100 × 10 KB values reach a late reader', async () => {
    const Def = defineCollection.map<number, string>(storeName('large'), { consensus });
    await using w = await Def.onlineWriter(n0, within());
    let v = 0;
    for (let i = 0; i < 100; i += 10)
      v = await w.extend(range(10).map((j) => [i + j, `${i + j}`.padEnd(10_000, '.')] as const));
    await using r2 = Def.reader(n2);
    await r2.when.reaches(v, within(T * 2));
    expect(r2.size).toBe(100);
    expect(r2.get(99)).toBe('99'.padEnd(10_000, '.'));
  });

  it('recreate_reader: a reader closed and opened again on one node syncs everything afresh', async () => {
    const Def = mapDef('recreate');
    await using w = await Def.onlineWriter(n0, within());
    let v = await w.extend(range(100).map((i) => [i, i] as const));
    const r = Def.reader(n3);
    await r.when.reaches(v, within());
    await r.close();
    v = await w.extend(range(100).map((i) => [i + 100, i] as const));
    await using again = Def.reader(n3);
    await again.when.reaches(v, within());
    expect(again.size).toBe(200);
  });

  it('string_keys', async () => {
    const Def = defineCollection.map<string, string>(storeName('strings'), { consensus });
    await using w = await Def.onlineWriter(n0, within());
    const v = await w.extend(range(50).map((i) => [`key-${i}`, `value-${i}`] as const));
    await using r2 = Def.reader(n2);
    await r2.when.reaches(v, within());
    expect(r2.get('key-49')).toBe('value-49');
    expect([...r2.keys()]).toEqual([...w.keys()]);
  });
});

describe('Vec, Set and PriorityQueue catch-up (sync/vec.rs, set.rs, depq.rs)', () => {
  it('vec frozen + mixed_mutations: index-exact on a late reader', async () => {
    const Def = defineCollection.vec<number>(storeName('vec'), { consensus });
    await using w = await Def.onlineWriter(n0, within());
    await w.extend(range(1000).map((i) => i * 10));
    await w.pushFront(-1);
    await w.remove(500);
    await w.swap(0, 999);
    const v = await w.truncate(999);
    await using r2 = Def.reader(n2);
    await r2.when.reaches(v, within());
    expect(r2.toArray()).toEqual(w.toArray());
    expect(r2.length).toBe(999);
  });

  it('set insert_duplicates and remove_nonexistent_values on a late reader', async () => {
    const Def = defineCollection.set<number>(storeName('set'), { consensus });
    await using w = await Def.onlineWriter(n0, within());
    await w.extend(range(100));
    await w.extend(range(100));
    await w.removeMany([5, 1000]);
    const v = await w.add(1000);
    await using r2 = Def.reader(n2);
    await r2.when.reaches(v, within());
    expect(r2.size).toBe(100);
    expect([r2.has(5), r2.has(1000)]).toEqual([false, true]);
  });

  it('priority queue min_max_after_sync and remove_range_sync', async () => {
    const Def = defineCollection.priorityQueue<number, number, number>(storeName('pq'), { consensus });
    await using w = await Def.onlineWriter(n0, within());
    await w.extend(range(100).map((i) => [i, i, i * 10] as const));
    await w.removeRange({ from: { value: 20, inclusive: true }, to: { value: 50, inclusive: false } });
    await w.extend([
      [500, 1000, 0],
      [999, 1001, 0],
    ]);
    const v = await w.insert(-5, 1002, 0);
    await using r2 = Def.reader(n2);
    await r2.when.reaches(v, within());
    expect(r2.size).toBe(73);
    expect(r2.getMin()).toEqual([-5, 1002, 0]);
    expect(r2.getMax()).toEqual([999, 1001, 0]);
    expect([...r2.entries()]).toEqual([...w.entries()]);
  });
});
