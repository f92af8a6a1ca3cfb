/**
 * Vec: one test per line of the original's vec.rs inventory (TESTS.md maps them), plus the
 * port's own choices (a negative index is refused; `insert` past the end is a no-op where the
 * original panics). Writers and readers are on different nodes unless a line says otherwise.
 */
import { describe, expect, it } from 'vitest';
import { FAST, sharedNodes, storeName, within } from '../test/fixtures.js';
import { defineCollection } from './collection.js';

const net = sharedNodes(undefined, 4);

const def = (what: string) => defineCollection.vec<number>(storeName(what), { consensus: FAST });
/** Late handles catch up from a snapshot: the log is compacted well before the data is written. */
const catchupDef = (what: string) =>
  defineCollection.vec<number>(storeName(what), {
    consensus: { ...FAST, snapshotThreshold: 50, snapshotKeep: 10 },
  });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** The module-level definition a `collection!` declaration becomes (its doc comment included). */
const TestVec = defineCollection.vec<string>(storeName('test.vec.macro'), { consensus: FAST });
/** What the original's `WriterOf`/`ReaderOf` name. */
type TestVecWriter = ReturnType<typeof TestVec.writer>;
type TestVecReader = ReturnType<typeof TestVec.reader>;

describe('Vec (vec.rs, one test per line)', () => {
  it('smoke_no_catchup: empty reads, then every kind of write with the exact contents after each', async () => {
    const Def = def('smoke');
    await using w = await Def.onlineWriter(net.n0, within());
    await using r = Def.reader(net.n1);
    expect([r.length, r.front(), r.back(), r.get(0), r.includes(1), r.indexOf(1), r.toArray()]).toEqual([
      0,
      undefined,
      undefined,
      undefined,
      false,
      -1,
      [],
    ]);
    const after = async (v: number, expected: number[]) => {
      await r.when.reaches(v, within());
      expect(r.toArray()).toEqual(expected);
      expect(w.toArray()).toEqual(expected);
    };
    await after(await w.pushBack(10), [10]);
    await after(await w.pushBack(20), [10, 20]);
    await after(await w.pushFront(5), [5, 10, 20]);
    await after(await w.extend([30, 40]), [5, 10, 20, 30, 40]);
    await after(await w.insert(2, 15), [5, 10, 15, 20, 30, 40]);
    expect([r.includes(15), r.indexOf(15), r.front(), r.back(), r.at(-2)]).toEqual([true, 2, 5, 40, 30]);
    expect([...r]).toEqual([5, 10, 15, 20, 30, 40]);
    await after(await w.swap(0, 5), [40, 10, 15, 20, 30, 5]);
    await after(await w.popBack(), [40, 10, 15, 20, 30]);
    await after(await w.popFront(), [10, 15, 20, 30]);
    await after(await w.remove(1), [10, 20, 30]);
    await after(await w.truncate(2), [10, 20]);
    await after(await w.clear(), []);
  });

  it('catchup_single_reader: a late reader has all 107 in order; remove(50) shifts the rest left', async () => {
    const Def = catchupDef('catchup');
    await using w = await Def.onlineWriter(net.n0, within());
    for (const i of range(0, 100)) await w.pushBack(i);
    const v = await w.extend(range(100, 107));
    await using late = Def.reader(net.n1);
    await late.when.reaches(v, within());
    expect(late.toArray()).toEqual(range(0, 107));
    const v2 = await w.remove(50);
    await late.when.reaches(v2, within());
    expect([late.length, late.get(49), late.get(50)]).toEqual([106, 49, 51]);
  });

  it('multiple_readers: three readers see [1..5], a push_front(0), then a pop_back (back is 4)', async () => {
    const Def = def('readers');
    await using w = await Def.onlineWriter(net.n0, within());
    const readers = [Def.reader(net.n1), Def.reader(net.n2), Def.reader(net.n3)];
    try {
      let v = await w.extend([1, 2, 3, 4, 5]);
      for (const r of readers) await r.when.reaches(v, within());
      for (const r of readers) expect(r.toArray()).toEqual([1, 2, 3, 4, 5]);
      v = await w.pushFront(0);
      for (const r of readers) await r.when.reaches(v, within());
      for (const r of readers) expect(r.front()).toBe(0);
      v = await w.popBack();
      for (const r of readers) await r.when.reaches(v, within());
      for (const r of readers) expect([r.back(), r.length]).toEqual([4, 5]);
    } finally {
      await Promise.all(readers.map((r) => r.close()));
    }
  });

  it('multiple_writers: pushes from two nodes interleave in commit order, identical everywhere', async () => {
    const Def = def('writers');
    await using a = Def.writer(net.n0);
    await using b = Def.writer(net.n1);
    await using r = Def.reader(net.n2);
    await Promise.all([a.when.online(within()), b.when.online(within())]);
    for (let i = 0; i < 6; i++) await (i % 2 === 0 ? a : b).pushBack(i);
    const v = await b.popFront();
    await Promise.all([a.when.reaches(v, within()), r.when.reaches(v, within())]);
    expect(a.toArray()).toEqual([1, 2, 3, 4, 5]);
    expect(b.toArray()).toEqual(a.toArray());
    expect(r.toArray()).toEqual(a.toArray());
  });

  it('catchup_multiple_readers: a late reader after 51 elements, another after 82 (back 1000), equal', async () => {
    const Def = catchupDef('catchup-many');
    await using w = await Def.onlineWriter(net.n0, within());
    let v = await w.extend(range(0, 51));
    await using r1 = Def.reader(net.n1);
    await r1.when.reaches(v, within());
    expect(r1.length).toBe(51);
    await w.extend(range(51, 81));
    v = await w.pushBack(1000);
    await using r2 = Def.reader(net.n2);
    await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within())]);
    expect([r1.length, r2.length, r2.back()]).toEqual([82, 82, 1000]);
    expect(r2.toArray()).toEqual(r1.toArray());
  });

  it('push_front_back_ordering: alternating push_front and push_back build [1, 2, 3, 4, 5]', async () => {
    await using w = await def('ordering').onlineWriter(net.n0, within());
    await w.pushBack(3);
    await w.pushFront(2);
    await w.pushBack(4);
    await w.pushFront(1);
    await w.pushBack(5);
    expect(w.toArray()).toEqual([1, 2, 3, 4, 5]);
  });

  it('pop_until_empty: pops from both ends empty the Vec; pops on an empty Vec are no-ops', async () => {
    await using w = await def('pop').onlineWriter(net.n0, within());
    await w.extend([1, 2, 3, 4]);
    await w.popFront();
    await w.popBack();
    expect(w.toArray()).toEqual([2, 3]);
    await w.popFront();
    await w.popBack();
    expect(w.length).toBe(0);
    const v1 = await w.popBack();
    const v2 = await w.popFront();
    expect(v2).toBeGreaterThan(v1);
    expect(w.length).toBe(0);
  });

  it('swap_variations: swap(0, 2) swaps; swap(1, 1) and swap(0, 999) are no-ops', async () => {
    await using w = await def('swap').onlineWriter(net.n0, within());
    await w.extend([1, 2, 3]);
    await w.swap(0, 2);
    expect(w.toArray()).toEqual([3, 2, 1]);
    await w.swap(1, 1);
    expect(w.toArray()).toEqual([3, 2, 1]);
    await w.swap(0, 999);
    expect(w.toArray()).toEqual([3, 2, 1]);
  });

  it('insert_at_positions: into an empty Vec, at the front, at the end (index = length), in the middle', async () => {
    await using w = await def('insert').onlineWriter(net.n0, within());
    await w.insert(0, 20);
    expect(w.toArray()).toEqual([20]);
    await w.insert(0, 10);
    expect(w.toArray()).toEqual([10, 20]);
    await w.insert(2, 40);
    expect(w.toArray()).toEqual([10, 20, 40]);
    await w.insert(2, 30);
    expect(w.toArray()).toEqual([10, 20, 30, 40]);
  });

  it('truncate_edge_cases: longer than or equal to the length is a no-op; 3 keeps a prefix; 0 empties', async () => {
    await using w = await def('truncate').onlineWriter(net.n0, within());
    await w.extend([1, 2, 3, 4, 5]);
    await w.truncate(100);
    await w.truncate(5);
    expect(w.toArray()).toEqual([1, 2, 3, 4, 5]);
    await w.truncate(3);
    expect(w.toArray()).toEqual([1, 2, 3]);
    await w.truncate(0);
    expect(w.length).toBe(0);
  });

  it('clear_then_rebuild: after clear and push_back(100) the Vec is [100]', async () => {
    await using w = await def('rebuild').onlineWriter(net.n0, within());
    await w.extend([1, 2, 3]);
    await w.clear();
    await w.pushBack(100);
    expect(w.toArray()).toEqual([100]);
  });

  it('extend_empty: extend([]) resolves with the current version and changes nothing', async () => {
    await using w = await def('extend-empty').onlineWriter(net.n0, within());
    await w.extend([1, 2]);
    const at = w.version;
    expect(await w.extend([])).toBe(at);
    expect(w.toArray()).toEqual([1, 2]);
  });

  it('remove_out_of_bounds: remove(100) changes nothing but still commits', async () => {
    await using w = await def('remove-oob').onlineWriter(net.n0, within());
    const before = await w.extend([1, 2, 3]);
    const v = await w.remove(100);
    expect(v).toBeGreaterThan(before);
    expect(w.toArray()).toEqual([1, 2, 3]);
  });

  it('many_writers_many_readers: two writers and two readers end with [20, 30, 40, 50, 60]', async () => {
    const Def = def('many');
    await using a = Def.writer(net.n0);
    await using b = Def.writer(net.n1);
    await Promise.all([a.when.online(within()), b.when.online(within())]);
    await using r1 = Def.reader(net.n2);
    await using r2 = Def.reader(net.n3);
    await a.extend([10, 20, 30]);
    await b.popFront();
    await b.extend([40, 50]);
    const v = await a.pushBack(60);
    for (const h of [b, r1, r2]) await h.when.reaches(v, within());
    for (const h of [a, b, r1, r2]) expect(h.toArray()).toEqual([20, 30, 40, 50, 60]);
  });

  it('late_writer_catchup: a writer joining later sees the 5 elements and pushes 99, seen by both', async () => {
    const Def = def('late-writer');
    await using w0 = await Def.onlineWriter(net.n0, within());
    const v = await w0.extend([1, 2, 3, 4, 5]);
    await using w1 = Def.writer(net.n1);
    await w1.when.reaches(v, within());
    expect(w1.toArray()).toEqual([1, 2, 3, 4, 5]);
    await w1.when.online(within());
    const v2 = await w1.pushBack(99);
    await w0.when.reaches(v2, within());
    expect([w0.back(), w1.back()]).toEqual([99, 99]);
  });

  it('writer_reads_own_writes: a Vec<string> writer reads get, includes, indexOf, front, back, iteration', async () => {
    const Def = defineCollection.vec<string>(storeName('own'), { consensus: FAST });
    await using w = await Def.onlineWriter(net.n0, within());
    await w.pushBack('hello');
    await w.pushBack('world');
    expect([w.get(0), w.includes('world'), w.indexOf('world'), w.front(), w.back()]).toEqual([
      'hello',
      true,
      1,
      'hello',
      'world',
    ]);
    expect([...w]).toEqual(['hello', 'world']);
  });

  it('construct_from_macro: a module-level Vec<string> definition and its writer/reader types replicate', async () => {
    const w: TestVecWriter = await TestVec.onlineWriter(net.n0, within());
    const r: TestVecReader = await TestVec.onlineReader(net.n1, within());
    try {
      const v = await w.pushBack('macro');
      await r.when.reaches(v, within());
      expect(r.toArray()).toEqual(['macro']);
    } finally {
      await Promise.all([w.close(), r.close()]);
    }
  });

  it('construct_from_def: the writer and reader sides of a Vec<string> definition replicate', async () => {
    const Def = defineCollection.vec<string>(storeName('def'), { consensus: FAST });
    await using w = await Def.asWriter().onlineWriter(net.n0, within());
    await using r = Def.asReader().reader(net.n1);
    const v = await w.pushBack('def');
    await r.when.reaches(v, within());
    expect(r.get(0)).toBe('def');
  });

  it('insert past the end is a no-op (the port’s choice; the original panics) and a negative index is refused', async () => {
    await using w = await def('past-end').onlineWriter(net.n0, within());
    await w.extend([1, 2]);
    await w.insert(3, 9);
    expect(w.toArray()).toEqual([1, 2]);
    await expect(w.insert(-1, 1)).rejects.toMatchObject({ code: 'encoding', value: 1 });
  });
});
