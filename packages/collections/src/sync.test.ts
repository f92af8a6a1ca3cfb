/**
 * Catch-up lines of the original's sync/*.rs that belong to one kind (the shared scenarios are in
 * catchup.test.ts): a late replica joins after the data exists; with the log compacted every 100
 * entries it installs a Raft snapshot of the state once more was written, then follows the log.
 * One test per line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, FAST, storeName, type TestNode, within } from '../test/fixtures.js';
import { defineCollection } from './collection.js';

const cluster = new Cluster();
let n0: TestNode;
let n1: TestNode;
let n2: TestNode;

beforeAll(async () => {
  [n0, n1, n2] = (await cluster.addMany(3)) as [TestNode, TestNode, TestNode];
});
afterAll(() => cluster.close());

const consensus = { ...FAST, snapshotThreshold: 100, snapshotKeep: 10 };
const mapDef = (what: string) => defineCollection.map<number, number>(storeName(what), { consensus });
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('Map catch-up, kind-specific lines (sync/map.rs)', () => {
  it('mixed_mutations: insert, overwrite, remove and extend; a late reader sees the final keys', async () => {
    const Def = mapDef('mixed');
    await using w = await Def.onlineWriter(n0, within());
    await using r1 = Def.reader(n1);
    await w.set(1, 10);
    await w.set(2, 20);
    await w.set(3, 30);
    await w.set(1, 11);
    await w.delete(2);
    await w.extend([
      [4, 40],
      [5, 50],
    ]);
    const v = await w.delete(3);
    await using r2 = Def.reader(n2);
    await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within())]);
    const final = [
      [1, 11],
      [4, 40],
      [5, 50],
    ];
    expect([...r1.entries()]).toEqual(final);
    expect([...r2.entries()]).toEqual(final);
  });

  it('overwrite_keys: 100 keys written again keep 100 entries; a late reader sees the newest values', async () => {
    const Def = mapDef('overwrite');
    await using w = await Def.onlineWriter(n0, within());
    await w.extend(range(100).map((i) => [i, i] as const));
    const v = await w.extend(range(100).map((i) => [i, i * 1000] as const));
    await using r2 = Def.reader(n2);
    await r2.when.reaches(v, within());
    expect(r2.size).toBe(100);
    expect(range(100).every((i) => r2.get(i) === i * 1000)).toBe(true);
  });

  it('extend_with_overlapping_keys: a second extend over 50..150 gives 150 entries, 50..150 updated', async () => {
    const Def = mapDef('overlap');
    await using w = await Def.onlineWriter(n0, within());
    await w.extend(range(100).map((i) => [i, i] as const));
    const v = await w.extend(range(100).map((i) => [i + 50, -(i + 50)] as const));
    await using r2 = Def.reader(n2);
    await r2.when.reaches(v, within());
    expect(r2.size).toBe(150);
    expect(range(50).every((i) => r2.get(i) === i)).toBe(true);
    expect(range(100).every((i) => r2.get(i + 50) === -(i + 50))).toBe(true);
  });

  it('remove_nonexistent_keys: removing missing keys keeps 10; removing an existing one leaves 9', async () => {
    const Def = mapDef('remove-missing');
    await using w = await Def.onlineWriter(n0, within());
    await w.extend(range(10).map((i) => [i, i] as const));
    let v = await w.removeMany([100, 200, 300]);
    await using r2 = Def.reader(n2);
    await r2.when.reaches(v, within());
    expect(r2.size).toBe(10);
    v = await w.delete(5);
    await r2.when.reaches(v, within());
    expect([r2.size, r2.has(5)]).toEqual([9, false]);
  });

  it('string_keys: 50 string entries reach r1 and a late r2', async () => {
    const Def = defineCollection.map<string, string>(storeName('strings'), { consensus });
    await using w = await Def.onlineWriter(n0, within());
    await using r1 = Def.reader(n1);
    const v = await w.extend(range(50).map((i) => [`key-${i}`, `value-${i}`] as const));
    await using r2 = Def.reader(n2);
    await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within())]);
    for (const r of [r1, r2]) {
      expect(r.get('key-49')).toBe('value-49');
      expect([...r.keys()]).toEqual([...w.keys()]);
    }
  });
});

describe('Vec catch-up, kind-specific lines (sync/vec.rs)', () => {
  it('mixed_mutations: every kind of write ends as [10, 20, 100] on r1 and a late r2', async () => {
    const Def = defineCollection.vec<number>(storeName('vec-mixed'), { consensus });
    await using w = await Def.onlineWriter(n0, within());
    await using r1 = Def.reader(n1);
    for (const x of [10, 20, 30]) await w.pushBack(x); // [10, 20, 30]
    await w.pushFront(5); // [5, 10, 20, 30]
    await w.insert(2, 15); // [5, 10, 15, 20, 30]
    await w.swap(0, 4); // [30, 10, 15, 20, 5]
    await w.popBack(); // [30, 10, 15, 20]
    await w.popFront(); // [10, 15, 20]
    await w.remove(1); // [10, 20]
    await w.extend([100, 200]); // [10, 20, 100, 200]
    const v = await w.truncate(3);
    await using r2 = Def.reader(n2);
    await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within())]);
    expect([w.toArray(), r1.toArray(), r2.toArray()]).toEqual([
      [10, 20, 100],
      [10, 20, 100],
      [10, 20, 100],
    ]);
  });
});

describe('Set catch-up, kind-specific lines (sync/set.rs)', () => {
  const setDef = (what: string) => defineCollection.set<number>(storeName(what), { consensus });

  it('mixed_mutations: adds, a duplicate, deletes and an extend end as {1, 10, 20, 30} on r1 and a late r2', async () => {
    const Def = setDef('set-mixed');
    await using w = await Def.onlineWriter(n0, within());
    await using r1 = Def.reader(n1);
    for (const x of [1, 2, 3, 2]) await w.add(x);
    await w.delete(3);
    await w.extend([10, 20, 30]);
    const v = await w.delete(2);
    await using r2 = Def.reader(n2);
    await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within())]);
    expect([r1.toArray(), r2.toArray()]).toEqual([
      [1, 10, 20, 30],
      [1, 10, 20, 30],
    ]);
  });

  it('insert_duplicates: 100 values added twice are 100 elements, on a late reader too', async () => {
    const Def = setDef('set-dups');
    await using w = await Def.onlineWriter(n0, within());
    await w.extend(range(100));
    const v = await w.extend(range(100));
    await using r2 = Def.reader(n2);
    await r2.when.reaches(v, within());
    expect([w.size, r2.size]).toEqual([100, 100]);
  });

  it('remove_nonexistent_values: removing missing values keeps 10; removing 5 leaves 9', async () => {
    const Def = setDef('set-remove-missing');
    await using w = await Def.onlineWriter(n0, within());
    await w.extend(range(10));
    let v = await w.removeMany([100, 200]);
    await using r2 = Def.reader(n2);
    await r2.when.reaches(v, within());
    expect(r2.size).toBe(10);
    v = await w.delete(5);
    await r2.when.reaches(v, within());
    expect([r2.size, r2.has(5)]).toEqual([9, false]);
  });

  it('string_elements: 50 strings reach r1 and a late r2 in the same order', async () => {
    const Def = defineCollection.set<string>(storeName('set-strings'), { consensus });
    await using w = await Def.onlineWriter(n0, within());
    await using r1 = Def.reader(n1);
    const v = await w.extend(range(50).map((i) => `item-${i}`));
    await using r2 = Def.reader(n2);
    await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within())]);
    expect(r2.size).toBe(50);
    expect(r1.toArray()).toEqual(w.toArray());
    expect(r2.toArray()).toEqual(w.toArray());
  });
});

describe('PriorityQueue catch-up, kind-specific lines (sync/depq.rs)', () => {
  const pqDef = (what: string) =>
    defineCollection.priorityQueue<number, number, number>(storeName(what), { consensus });

  it('mixed_mutations: inserts, a priority raised to the max, a value update, a delete, an extend; a late reader agrees', async () => {
    const Def = pqDef('pq-mixed');
    await using w = await Def.onlineWriter(n0, within());
    await w.insert(10, 1, 100);
    await w.insert(20, 2, 200);
    await w.insert(30, 3, 300);
    await w.updatePriority(1, 99); // key 1 becomes the max
    await w.updateValue(2, 222);
    await w.delete(3);
    const v = await w.extend([
      [5, 4, 400],
      [50, 5, 500],
    ]);
    await using r2 = Def.reader(n2);
    await r2.when.reaches(v, within());
    expect([...r2.entries()]).toEqual([
      [5, 4, 400],
      [20, 2, 222],
      [50, 5, 500],
      [99, 1, 100],
    ]);
    expect([r2.getMax(), r2.getMin()]).toEqual([
      [99, 1, 100],
      [5, 4, 400],
    ]);
  });

  it('overwrite_keys: all 100 keys inserted again with priority and value × 1000; a late reader sees 100 new ones', async () => {
    const Def = pqDef('pq-overwrite');
    await using w = await Def.onlineWriter(n0, within());
    await w.extend(range(100).map((i) => [i, i, i] as const));
    const v = await w.extend(range(100).map((i) => [i * 1000, i, i * 1000] as const));
    await using r2 = Def.reader(n2);
    await r2.when.reaches(v, within());
    expect(r2.size).toBe(100);
    expect(range(100).every((i) => r2.getPriority(i) === i * 1000 && r2.get(i) === i * 1000)).toBe(true);
  });

  it('remove_range_sync: removing priorities 20..50 leaves 70; a late reader agrees', async () => {
    const Def = pqDef('pq-range');
    await using w = await Def.onlineWriter(n0, within());
    await w.extend(range(100).map((i) => [i, i, i * 10] as const));
    const v = await w.removeRange({
      from: { value: 20, inclusive: true },
      to: { value: 50, inclusive: false },
    });
    await using r2 = Def.reader(n2);
    await r2.when.reaches(v, within());
    expect(r2.size).toBe(70);
    expect([r2.has(19), r2.has(20), r2.has(49), r2.has(50)]).toEqual([true, false, false, true]);
    expect([...r2.entries()]).toEqual([...w.entries()]);
  });

  it('min_max_after_sync: scattered priorities give the same min and max on r1 and a late r2', async () => {
    const Def = pqDef('pq-minmax');
    await using w = await Def.onlineWriter(n0, within());
    await using r1 = Def.reader(n1);
    const v = await w.extend([500, 100, 999, 1, 750].map((p, i) => [p, i + 1, (i + 1) * 10] as const));
    await using r2 = Def.reader(n2);
    await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within())]);
    for (const r of [r1, r2]) {
      expect(r.getMin()).toEqual([1, 4, 40]);
      expect(r.getMax()).toEqual([999, 3, 30]);
    }
  });
});
