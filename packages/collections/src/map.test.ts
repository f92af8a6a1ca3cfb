import { describe, expect, it } from 'vitest';
import { FAST, sharedNodes, storeName, within } from '../test/fixtures.js';
import { defineCollection } from './collection.js';
import { CollectionError } from './errors.js';

const net = sharedNodes();

const def = (what: string) => defineCollection.map<number, number>(storeName(what), { consensus: FAST });

describe('Map', () => {
  it('smoke: writer and reader replicate every kind of write', async () => {
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

  it('empty batches resolve with the current version without a command', async () => {
    const Def = def('empty');
    await using w = await Def.onlineWriter(net.n0, within());
    const v = await w.set(1, 1);
    expect(await w.extend([])).toBe(w.version);
    expect(await w.removeMany([])).toBeGreaterThanOrEqual(v);
  });

  it('writers on two nodes serialize through the leader and every node agrees', async () => {
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

  it('clear_then_rebuild and remove_all_entries: only what came after is there', async () => {
    await using w = await def('rebuild').onlineWriter(net.n0, within());
    await w.extend([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    for (const k of [1, 2, 3]) await w.delete(k);
    expect(w.size).toBe(0);
    await w.set(4, 4);
    await w.clear();
    await w.set(5, 5);
    expect([...w.entries()]).toEqual([[5, 5]]);
  });

  it('writer_reads_own_writes with string keys and values', async () => {
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

  it('many_writers_many_readers and catchup_multiple_readers: four handles agree', async () => {
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
});
