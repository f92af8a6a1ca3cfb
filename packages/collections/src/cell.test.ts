import { describe, expect, it } from 'vitest';
import { FAST, sharedNodes, storeName, within } from '../test/fixtures.js';
import { defineCollection } from './collection.js';

const net = sharedNodes();

describe('Cell (cell.rs)', () => {
  const def = (what: string) => defineCollection.cell<number>(storeName(what), { consensus: FAST });

  it('smoke: empty, set, overwrite, clear replicate to a reader', async () => {
    const Def = def('smoke');
    await using w = await Def.onlineWriter(net.n0, within());
    await using r = Def.reader(net.n1);
    expect(r.isEmpty()).toBe(true);
    expect(r.get()).toBeUndefined();
    let v = await w.set(1);
    expect(w.get()).toBe(1);
    v = await w.set(2);
    await r.when.reaches(v, within());
    expect(r.get()).toBe(2);
    v = await w.clear();
    await r.when.reaches(v, within());
    expect(r.isEmpty()).toBe(true);
    await w.clear(); // clearing an empty cell: a no-op that still commits
  });

  it('compare_exchange: (undefined → x) only when empty, match swaps, mismatch keeps, → undefined clears', async () => {
    const Def = def('cas');
    await using w = await Def.onlineWriter(net.n0, within());
    await using r = Def.reader(net.n2);
    await w.compareExchange(undefined, undefined); // empty → empty: fine, nothing
    expect(w.isEmpty()).toBe(true);
    await w.compareExchange(undefined, 5);
    expect(w.get()).toBe(5);
    await w.compareExchange(undefined, 6); // not empty: mismatch
    expect(w.get()).toBe(5);
    await w.compareExchange(4, 6); // mismatch
    expect(w.get()).toBe(5);
    await w.compareExchange(5, 6);
    expect(w.get()).toBe(6);
    const v = await w.compareExchange(6, undefined);
    expect(w.isEmpty()).toBe(true);
    await r.when.reaches(v, within());
    expect(r.isEmpty()).toBe(true);
  });

  it('late_reader_catchup and multiple_writers: the last committed write wins everywhere', async () => {
    const Def = def('writers');
    await using a = Def.writer(net.n0);
    await using b = Def.writer(net.n1);
    await Promise.all([a.when.online(within()), b.when.online(within())]);
    await a.set(10);
    const v = await b.set(20);
    await using late = Def.reader(net.n2);
    await late.when.reaches(v, within());
    await a.when.reaches(v, within());
    expect([a.get(), b.get(), late.get()]).toEqual([20, 20, 20]);
  });
});

describe('Once (once.rs)', () => {
  const def = (what: string) => defineCollection.once<number>(storeName(what), { consensus: FAST });

  it('smoke and multiple_writers: the first committed write sticks, later ones are ignored everywhere', async () => {
    const Def = def('smoke');
    await using w0 = Def.writer(net.n0);
    await using w1 = Def.writer(net.n1);
    await using r = Def.reader(net.n2);
    expect(r.isEmpty()).toBe(true);
    await Promise.all([w0.when.online(within()), w1.when.online(within())]);
    await w0.set(10);
    await w1.set(20);
    const v = await w0.set(30);
    await Promise.all([w1.when.reaches(v, within()), r.when.reaches(v, within())]);
    expect([w0.get(), w1.get(), r.get()]).toEqual([10, 10, 10]);
  });

  it('await_value: a reader waiting before the writer exists gets the value; a set one resolves at once', async () => {
    const Def = def('await');
    await using r = Def.reader(net.n1);
    const waiting = r.waitForValue(within());
    await using w = await Def.onlineWriter(net.n0, within());
    await w.set(42);
    expect(await waiting).toBe(42);
    expect(await w.waitForValue(within())).toBe(42);
  });

  it('a Once and a Cell with the same name are different groups', () => {
    const name = storeName('kinds');
    expect(
      defineCollection.once<number>(name).groupId.equals(defineCollection.cell<number>(name).groupId),
    ).toBe(false);
  });
});
