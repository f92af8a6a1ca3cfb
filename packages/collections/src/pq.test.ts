import { describe, expect, it } from 'vitest';
import { FAST, sharedNodes, storeName, within } from '../test/fixtures.js';
import { defineCollection } from './collection.js';
import { range } from './pq.js';

const net = sharedNodes();

const def = (what: string, capacity?: number) =>
  defineCollection.priorityQueue<number, number, number>(storeName(what), {
    consensus: FAST,
    ...(capacity === undefined ? {} : { capacity }),
  });

describe('PriorityQueue (depq.rs)', () => {
  it('smoke_no_catchup: empty reads, min/max, upsert, extend, asc/desc, delete, clear', async () => {
    const Def = def('smoke');
    await using w = await Def.onlineWriter(net.n0, within());
    await using r = Def.reader(net.n1);
    expect([r.getMin(), r.getMax(), r.minPriority(), r.get(1), r.getPriority(1)]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(r.capacity).toBe(Number.POSITIVE_INFINITY);
    await w.insert(10, 1, 100);
    expect(w.getMin()).toEqual(w.getMax());
    await w.insert(20, 2, 200);
    await w.insert(5, 3, 300);
    await w.insert(30, 1, 101); // upsert: new priority and value
    expect(w.size).toBe(3);
    let v = await w.extend([
      [15, 4, 400],
      [25, 5, 500],
    ]);
    await r.when.reaches(v, within());
    expect(r.getMin()).toEqual([5, 3, 300]);
    expect(r.getMax()).toEqual([30, 1, 101]);
    expect([...r.entries()].map((e) => e[0])).toEqual([5, 15, 20, 25, 30]);
    expect(r.entriesDesc().map((e) => e[0])).toEqual([30, 25, 20, 15, 5]);
    expect(r.getPriority(4)).toBe(15);
    v = await w.delete(3);
    await r.when.reaches(v, within());
    expect(r.minPriority()).toBe(15);
    v = await w.clear();
    await r.when.reaches(v, within());
    expect(r.getMin()).toBeUndefined();
  });

  it('update_priority, update_value and compare_exchange_value keep the other half; unknown keys are no-ops', async () => {
    const Def = def('update');
    await using w = await Def.onlineWriter(net.n0, within());
    await using late = Def.reader(net.n2);
    await w.extend([
      [10, 1, 100],
      [20, 2, 200],
      [30, 3, 300],
    ]);
    await w.updatePriority(1, 50);
    await w.updatePriority(99, 1);
    await w.updateValue(2, 222);
    await w.updateValue(99, 1);
    await w.compareExchangeValue(3, 300, 333);
    await w.compareExchangeValue(3, 300, 0); // mismatch now
    const v = await w.compareExchangeValue(2, 222, undefined);
    await late.when.reaches(v, within());
    expect([...late.entries()]).toEqual([
      [30, 3, 333],
      [50, 1, 100],
    ]);
  });

  it('remove_range with every kind of bound', async () => {
    const Def = def('range');
    await using w = await Def.onlineWriter(net.n0, within());
    const fill = () => w.extend([10, 20, 30, 40, 50].map((p) => [p, p, p] as const));
    await fill();
    await w.removeRange(range.below(25));
    await w.removeRange(range.atLeast(45));
    expect([...w.entries()].map((e) => e[0])).toEqual([30, 40]);
    await fill();
    await w.removeRange(range.betweenInclusive(20, 40));
    expect([...w.entries()].map((e) => e[0])).toEqual([10, 50]);
    await w.removeRange(range.above(10));
    expect([...w.entries()].map((e) => e[0])).toEqual([10]);
    await fill();
    await w.removeRange(range.between(10, 30));
    expect([...w.entries()].map((e) => e[0])).toEqual([30, 40, 50]);
    await w.removeRange(range.all());
    expect(w.size).toBe(0);
    await w.removeRange(range.atMost(100)); // empty queue: fine
  });

  it('same_priority_bucket: ties go to the lowest key encoding, identically everywhere', async () => {
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
    expect(r.getMin()).toEqual([10, 1, 0]);
    expect(r.entriesDesc().map((e) => e[1])).toEqual([9, 1, 2, 3]);
    await w.removeMany([1, 2]);
    expect(w.minPriority()).toBe(10);
    await w.delete(3);
    expect(w.minPriority()).toBe(20);
  });

  it('bounded: evicts the lowest, possibly the new entry; extend evicts one by one; updates never evict', async () => {
    const Def = def('bounded', 3);
    await using w = await Def.onlineWriter(net.n0, within());
    await using r = Def.reader(net.n1);
    expect(w.capacity).toBe(3);
    await w.extend([
      [10, 1, 0],
      [20, 2, 0],
      [30, 3, 0],
    ]);
    await w.insert(40, 4, 0);
    expect([w.minPriority(), w.maxPriority(), w.size]).toEqual([20, 40, 3]);
    await w.insert(5, 5, 0); // lower than all: evicts itself
    expect(w.has(5)).toBe(false);
    await w.updatePriority(2, 50);
    expect([w.size, w.minPriority(), w.maxPriority()]).toEqual([3, 30, 50]);
    await w.insert(1, 3, 0); // upsert of an existing key: no eviction
    expect(w.size).toBe(3);
    const v = await w.extend([
      [60, 6, 0],
      [70, 7, 0],
      [80, 8, 0],
    ]);
    expect([...w.entries()].map((e) => e[1])).toEqual([6, 7, 8]);
    await r.when.reaches(v, within());
    expect([...r.entries()]).toEqual([...w.entries()]);
  });

  it('bounded and unbounded queues of one name are different groups', () => {
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

describe('PriorityQueue (depq.rs, one test per line)', () => {
  it('compare_exchange_value_chained: 100 → 200 → 300 → removed', async () => {
    await using w = await def('chained').onlineWriter(net.n0, within());
    await w.insert(10, 1, 100);
    await w.compareExchangeValue(1, 100, 200);
    await w.compareExchangeValue(1, 200, 300);
    expect([w.get(1), w.getPriority(1)]).toEqual([300, 10]);
    await w.compareExchangeValue(1, 300, undefined);
    expect(w.has(1)).toBe(false);
  });

  it('compare_exchange_value_missing_key and extend_empty: no-ops that still commit', async () => {
    await using w = await def('missing').onlineWriter(net.n0, within());
    await w.compareExchangeValue(1, 100, 200);
    expect(w.size).toBe(0);
    await w.insert(10, 2, 100);
    await w.compareExchangeValue(1, 100, 200);
    expect([...w.entries()]).toEqual([[10, 2, 100]]);
    expect(await w.extend([])).toBe(w.version);
    expect(await w.removeMany([])).toBe(w.version);
  });

  it('compare_exchange_value_replicates_to_readers with priorities kept', async () => {
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

  it('iter_ordering_after_mutations: ascending and descending stay sorted', async () => {
    await using w = await def('ordering').onlineWriter(net.n0, within());
    await w.extend([30, 10, 50, 20, 40].map((p) => [p, p, p] as const));
    expect([...w.entries()].map((e) => e[0])).toEqual([10, 20, 30, 40, 50]);
    expect(w.entriesDesc().map((e) => e[0])).toEqual([50, 40, 30, 20, 10]);
    await w.delete(30);
    await w.updatePriority(10, 60);
    expect([...w.entries()].map((e) => e[0])).toEqual([20, 40, 50, 60]);
    expect(w.entriesDesc().map((e) => e[1])).toEqual([10, 50, 40, 20]);
  });

  it('writer_reads_own_writes with string keys and values', async () => {
    const Def = defineCollection.priorityQueue<number, string, string>(storeName('own'), { consensus: FAST });
    await using w = await Def.onlineWriter(net.n0, within());
    await w.insert(20, 'foo', 'bar');
    await w.insert(10, 'hello', 'world');
    expect([...w.entries()]).toEqual([
      [10, 'hello', 'world'],
      [20, 'foo', 'bar'],
    ]);
  });
});
