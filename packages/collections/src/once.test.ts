/**
 * Once: one test per line of the original's once.rs inventory (TESTS.md maps them). The
 * original's `write`/`set` and `read`/`get` aliases are `set` and `get` here, `await_value` is
 * `waitForValue`. The first write in log order wins; later writes still commit, as no-ops.
 */
import { describe, expect, it } from 'vitest';
import { FAST, sharedNodes, storeName, within } from '../test/fixtures.js';
import { defineCollection } from './collection.js';

const net = sharedNodes(undefined, 4);

const def = (what: string) => defineCollection.once<number>(storeName(what), { consensus: FAST });

/** The module-level definition a `collection!` declaration becomes. */
const Genesis = defineCollection.once<string>(storeName('genesis'), { consensus: FAST });

describe('Once (once.rs, one test per line)', () => {
  it('smoke: empty at first; the first write (42) sticks; later writes (99, 123) are ignored', async () => {
    await using w = await def('smoke').onlineWriter(net.n0, within());
    expect([w.isEmpty(), w.get()]).toEqual([true, undefined]);
    const v1 = await w.set(42);
    expect([w.isEmpty(), w.get()]).toEqual([false, 42]);
    const v2 = await w.set(99);
    const v3 = await w.set(123);
    expect(w.get()).toBe(42);
    expect(v3).toBeGreaterThan(v2);
    expect(v2).toBeGreaterThan(v1);
  });

  it('catchup_single_reader: 999 then 51 more writes; a late reader reads 999', async () => {
    const Def = defineCollection.once<number>(storeName('catchup'), {
      consensus: { ...FAST, snapshotThreshold: 50, snapshotKeep: 10 },
    });
    await using w = await Def.onlineWriter(net.n0, within());
    await w.set(999);
    let v = 0;
    for (let i = 0; i < 51; i++) v = await w.set(i);
    await using late = Def.reader(net.n1);
    await late.when.reaches(v, within());
    expect(late.get()).toBe(999);
  });

  it('multiple_readers: three readers read 42; a later write of 100 is ignored everywhere', async () => {
    const Def = def('readers');
    await using w = await Def.onlineWriter(net.n0, within());
    const readers = [Def.reader(net.n1), Def.reader(net.n2), Def.reader(net.n3)];
    try {
      let v = await w.set(42);
      for (const r of readers) await r.when.reaches(v, within());
      expect(readers.map((r) => r.get())).toEqual([42, 42, 42]);
      v = await w.set(100);
      for (const r of readers) await r.when.reaches(v, within());
      expect([w.get(), ...readers.map((r) => r.get())]).toEqual([42, 42, 42, 42]);
    } finally {
      await Promise.all(readers.map((r) => r.close()));
    }
  });

  it('multiple_writers: w0 writes 10 first; w1’s 20 and w0’s 30 are ignored; all read 10', async () => {
    const Def = def('writers');
    await using w0 = Def.writer(net.n0);
    await using w1 = Def.writer(net.n1);
    await using r = Def.reader(net.n2);
    await Promise.all([w0.when.online(within()), w1.when.online(within())]);
    await w0.set(10);
    await w1.set(20);
    const v = await w0.set(30);
    await Promise.all([w1.when.reaches(v, within()), r.when.reaches(v, within())]);
    expect([w0.get(), w1.get(), r.get()]).toEqual([10, 10, 10]);
  });

  it('writer_reads_own_write: a Once<string> keeps "hello" after "world"', async () => {
    const Def = defineCollection.once<string>(storeName('own'), { consensus: FAST });
    await using w = await Def.onlineWriter(net.n0, within());
    await w.set('hello');
    expect(w.get()).toBe('hello');
    await w.set('world');
    expect(w.get()).toBe('hello');
  });

  it('await_value: a reader waiting before any writer exists gets 42; the writer’s own wait resolves at once', async () => {
    const Def = def('await');
    await using r = Def.reader(net.n1);
    const waiting = r.waitForValue(within());
    await using w = await Def.onlineWriter(net.n0, within());
    await w.set(42);
    expect(await waiting).toBe(42);
    // Already set and online: resolves at once, without waiting for another commit.
    expect(await w.waitForValue(within())).toBe(42);
  });

  it('late_writer_catchup: a writer joining later reads 42; its write of 99 is ignored on both', async () => {
    const Def = def('late-writer');
    await using w0 = await Def.onlineWriter(net.n0, within());
    const v = await w0.set(42);
    await using w1 = Def.writer(net.n1);
    await w1.when.reaches(v, within());
    expect(w1.get()).toBe(42);
    await w1.when.online(within());
    const v2 = await w1.set(99);
    await w0.when.reaches(v2, within());
    expect([w0.get(), w1.get()]).toEqual([42, 42]);
  });

  it('construct_from_def: the reader side of a definition, opened on a third node, reads "hello"', async () => {
    const Def = defineCollection.once<string>(storeName('def'), { consensus: FAST });
    const Readers = Def.asReader();
    await using w = await Def.onlineWriter(net.n0, within());
    await using r1 = Readers.reader(net.n1);
    const v = await w.set('hello');
    await r1.when.reaches(v, within());
    await using r2 = Readers.reader(net.n2);
    expect(await r2.waitForValue(within())).toBe('hello');
    expect(r1.get()).toBe('hello');
  });

  it('construct_from_macro: a module-level Once<string> definition opened online on two nodes', async () => {
    await using w = await Genesis.onlineWriter(net.n0, within());
    await using r = await Genesis.onlineReader(net.n1, within());
    const v = await w.set('first');
    await w.set('second');
    await r.when.reaches(v, within());
    expect(r.get()).toBe('first');
  });

  it('a Once and a Cell with the same name are different groups (the port checks the kind is in the id)', () => {
    const name = storeName('kinds');
    expect(
      defineCollection.once<number>(name).groupId.equals(defineCollection.cell<number>(name).groupId),
    ).toBe(false);
  });
});
