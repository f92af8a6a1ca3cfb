import { describe, expect, it } from 'vitest';
import { FAST, sharedNodes, storeName, within } from '../test/fixtures.js';
import { defineCollection } from './collection.js';

const net = sharedNodes();

const def = (what: string) => defineCollection.set<number>(storeName(what), { consensus: FAST });

describe('Set (set.rs)', () => {
  it('smoke_no_catchup: add, duplicate, extend, delete, clear replicate to a reader', async () => {
    const Def = def('smoke');
    await using w = await Def.onlineWriter(net.n0, within());
    await using r = Def.reader(net.n1);
    expect(r.size).toBe(0);
    expect(r.has(1)).toBe(false);
    await w.add(3);
    await w.add(3); // duplicate: no change
    let v = await w.extend([1, 2]);
    await r.when.reaches(v, within());
    expect(r.toArray()).toEqual([1, 2, 3]);
    expect(r.size).toBe(3);
    v = await w.delete(2);
    await r.when.reaches(v, within());
    expect(r.has(2)).toBe(false);
    v = await w.removeMany([1, 99]);
    await r.when.reaches(v, within());
    expect(r.toArray()).toEqual([3]);
    v = await w.clear();
    await r.when.reaches(v, within());
    expect(r.size).toBe(0);
  });

  it('catchup_single_reader and is_subset: a late reader matches; subset checks across handles', async () => {
    const Def = def('catchup');
    await using w = await Def.onlineWriter(net.n0, within());
    for (let i = 0; i < 50; i++) await w.add(i);
    const v = await w.extend([100, 101]);
    await using late = Def.reader(net.n2);
    await late.when.reaches(v, within());
    expect(late.size).toBe(52);
    expect(late.isSubsetOf(w)).toBe(true);
    await w.delete(0);
    expect(late.isSubsetOf(w)).toBe(false);
    expect(w.isSubsetOf(late)).toBe(true);
  });

  it('multiple_writers, remove_many, extend_empty: every node ends with the same elements', async () => {
    const Def = def('writers');
    await using a = Def.writer(net.n0);
    await using b = Def.writer(net.n1);
    await using r = Def.reader(net.n2);
    await Promise.all([a.when.online(within()), b.when.online(within())]);
    await a.add(1);
    await b.add(2);
    await a.extend([3, 4, 5]);
    expect(await b.extend([])).toBe(b.version);
    const v = await b.removeMany([4, 5, 6]);
    await Promise.all([a.when.reaches(v, within()), r.when.reaches(v, within())]);
    expect(a.toArray()).toEqual([1, 2, 3]);
    expect(r.toArray()).toEqual(a.toArray());
  });

  it('string_elements are ordered by their encoding, identical everywhere', async () => {
    const Def = defineCollection.set<string>(storeName('strings'), { consensus: FAST });
    await using w = await Def.onlineWriter(net.n0, within());
    await using r = Def.reader(net.n1);
    const v = await w.extend(['pear', 'apple', 'fig', 'apple']);
    await r.when.reaches(v, within());
    expect(r.toArray()).toEqual(w.toArray());
    expect(r.size).toBe(3);
  });
});
