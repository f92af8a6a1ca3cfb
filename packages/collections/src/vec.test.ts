import { describe, expect, it } from 'vitest';
import { FAST, sharedNodes, storeName, within } from '../test/fixtures.js';
import { defineCollection } from './collection.js';

const net = sharedNodes();

const def = (what: string) => defineCollection.vec<number>(storeName(what), { consensus: FAST });

describe('Vec', () => {
  it('smoke: every write replicates, reads by index from both ends', async () => {
    const Def = def('smoke');
    await using w = await Def.onlineWriter(net.n0, within());
    await using r = Def.reader(net.n1);
    expect(r.length).toBe(0);
    expect(r.front()).toBeUndefined();
    await w.pushBack(10);
    await w.pushBack(20);
    await w.pushFront(5);
    const v = await w.insert(1, 7);
    await r.when.reaches(v, within());
    expect(r.toArray()).toEqual([5, 7, 10, 20]);
    expect(r.front()).toBe(5);
    expect(r.back()).toBe(20);
    expect(r.at(-2)).toBe(10);
    expect(r.get(4)).toBeUndefined();
    expect(r.indexOf(10)).toBe(2);
    expect(r.includes(99)).toBe(false);
  });

  it('mixed mutations end equal on a reader and a late reader; out-of-range writes are no-ops', async () => {
    const Def = def('mixed');
    await using w = await Def.onlineWriter(net.n0, within());
    await using r = Def.reader(net.n1);
    await w.pushBack(10);
    await w.pushBack(20);
    await w.pushBack(30);
    await w.pushFront(5);
    await w.insert(2, 15);
    await w.swap(0, 4);
    await w.popBack();
    await w.popFront();
    await w.remove(1);
    await w.extend([100, 200]);
    await w.insert(99, 1);
    await w.remove(99);
    await w.swap(0, 99);
    const v = await w.truncate(3);
    expect(w.toArray()).toEqual([10, 20, 100]);
    await r.when.reaches(v, within());
    expect(r.toArray()).toEqual([10, 20, 100]);
    await using late = Def.reader(net.n2);
    await late.when.reaches(v, within());
    expect(late.toArray()).toEqual([10, 20, 100]);
    const c = await w.clear();
    await late.when.reaches(c, within());
    expect(late.length).toBe(0);
  });

  it('refuses a negative index at call time', async () => {
    const Def = def('neg');
    await using w = Def.writer(net.n0);
    await expect(w.insert(-1, 1)).rejects.toMatchObject({ code: 'encoding', value: 1 });
  });
});

describe('Vec (vec.rs, one test per line)', () => {
  it('insert at 0 and at length prepends and appends', async () => {
    await using w = await def('insert-ends').onlineWriter(net.n0, within());
    await w.insert(0, 2);
    await w.insert(0, 1);
    await w.insert(2, 3);
    expect(w.toArray()).toEqual([1, 2, 3]);
  });

  it('remove_out_of_bounds, swap with itself and truncate longer than the Vec are no-ops', async () => {
    await using w = await def('noops').onlineWriter(net.n0, within());
    await w.extend([1, 2, 3]);
    await w.remove(3);
    await w.swap(1, 1);
    await w.truncate(10);
    expect(w.toArray()).toEqual([1, 2, 3]);
    await w.truncate(0);
    expect(w.length).toBe(0);
  });

  it('catchup_single_reader and multiple_readers: every reader sees the same sequence', async () => {
    const Def = def('readers');
    await using w = await Def.onlineWriter(net.n0, within());
    for (let i = 0; i < 50; i++) await w.pushBack(i);
    const v = await w.extend([100, 101]);
    await using r1 = Def.reader(net.n1);
    await using r2 = Def.reader(net.n2);
    for (const r of [r1, r2]) {
      await r.when.reaches(v, within());
      expect(r.toArray()).toEqual(w.toArray());
    }
    expect(r1.length).toBe(52);
  });

  it('multiple_writers: pushes from two nodes interleave in commit order, identical everywhere', async () => {
    const Def = def('writers');
    await using a = Def.writer(net.n0);
    await using b = Def.writer(net.n1);
    await Promise.all([a.when.online(within()), b.when.online(within())]);
    for (let i = 0; i < 6; i++) await (i % 2 === 0 ? a : b).pushBack(i);
    const v = await b.popFront();
    await a.when.reaches(v, within());
    expect(a.toArray()).toEqual([1, 2, 3, 4, 5]);
    expect(b.toArray()).toEqual(a.toArray());
  });
});
