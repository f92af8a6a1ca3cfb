import { scaled } from '@mosaik/id';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, FAST, storeName, T, type TestNode } from '../test/fixtures.js';
import { defineCollection } from './collection.js';

const cluster = new Cluster();
let n0: TestNode;
let n1: TestNode;
let n2: TestNode;

beforeAll(async () => {
  [n0, n1, n2] = (await cluster.addMany(3)) as [TestNode, TestNode, TestNode];
});
afterAll(() => cluster.close());

const def = (what: string) => defineCollection.vec<number>(storeName(what), { consensus: FAST });
const opts = () => ({ signal: AbortSignal.timeout(scaled(T)) });

describe('Vec', () => {
  it('smoke: every write replicates, reads by index from both ends', async () => {
    const Def = def('smoke');
    await using w = await Def.onlineWriter(n0, opts());
    await using r = Def.reader(n1);
    expect(r.length).toBe(0);
    expect(r.front()).toBeUndefined();
    await w.pushBack(10);
    await w.pushBack(20);
    await w.pushFront(5);
    const v = await w.insert(1, 7);
    await r.when.reaches(v, opts());
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
    await using w = await Def.onlineWriter(n0, opts());
    await using r = Def.reader(n1);
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
    await r.when.reaches(v, opts());
    expect(r.toArray()).toEqual([10, 20, 100]);
    await using late = Def.reader(n2);
    await late.when.reaches(v, opts());
    expect(late.toArray()).toEqual([10, 20, 100]);
    const c = await w.clear();
    await late.when.reaches(c, opts());
    expect(late.length).toBe(0);
  });

  it('refuses a negative index at call time', async () => {
    const Def = def('neg');
    await using w = Def.writer(n0);
    await expect(w.insert(-1, 1)).rejects.toMatchObject({ code: 'encoding', value: 1 });
  });
});
