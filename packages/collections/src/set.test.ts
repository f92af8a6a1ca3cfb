/**
 * Set: one test per line of the original's set.rs inventory (TESTS.md maps them), plus the
 * canonical-order check the TypeScript port adds. Writers and readers are on different nodes
 * unless a line says otherwise; "late" handles are opened after the data exists.
 */
import { Digest } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { FAST, sharedNodes, storeName, within } from '../test/fixtures.js';
import { defineCollection } from './collection.js';

const net = sharedNodes(undefined, 4);

const def = (what: string) => defineCollection.set<number>(storeName(what), { consensus: FAST });
/** Late handles catch up from a snapshot: the log is compacted well before the data is written. */
const catchupDef = (what: string) =>
  defineCollection.set<number>(storeName(what), {
    consensus: { ...FAST, snapshotThreshold: 50, snapshotKeep: 10 },
  });
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

describe('Set (set.rs, one test per line)', () => {
  it('smoke_no_catchup: empty reads, add, duplicate add, extend, iterate, delete, clear — each seen by a reader', async () => {
    const Def = def('smoke');
    await using w = await Def.onlineWriter(net.n0, within());
    await using r = Def.reader(net.n1);
    expect([r.size, r.has(1), r.toArray(), [...r]]).toEqual([0, false, [], []]);
    let v = await w.add(1);
    await r.when.reaches(v, within());
    expect([r.size, r.has(1)]).toEqual([1, true]);
    v = await w.add(1);
    await r.when.reaches(v, within());
    expect(r.size).toBe(1);
    v = await w.extend([2, 3, 4]);
    await r.when.reaches(v, within());
    expect([...r.values()]).toEqual([1, 2, 3, 4]);
    expect([...r.keys()]).toEqual([1, 2, 3, 4]);
    v = await w.delete(2);
    await r.when.reaches(v, within());
    expect([r.has(2), r.size]).toEqual([false, 3]);
    v = await w.clear();
    await r.when.reaches(v, within());
    expect([r.size, r.toArray()]).toEqual([0, []]);
  });

  it('catchup_single_reader: a late reader holds all 103 elements, then follows a delete', async () => {
    const Def = catchupDef('catchup');
    await using w = await Def.onlineWriter(net.n0, within());
    for (const i of range(0, 100)) await w.add(i);
    const v = await w.extend([100, 101, 102]);
    await using late = Def.reader(net.n1);
    await late.when.reaches(v, within());
    expect(late.size).toBe(103);
    expect(range(0, 103).every((i) => late.has(i))).toBe(true);
    const v2 = await w.delete(50);
    await late.when.reaches(v2, within());
    expect([late.size, late.has(50)]).toEqual([102, false]);
  });

  it('multiple_readers: three readers converge on an extend, an add and a delete', async () => {
    const Def = def('readers');
    await using w = await Def.onlineWriter(net.n0, within());
    await using r1 = Def.reader(net.n1);
    await using r2 = Def.reader(net.n2);
    await using r3 = Def.reader(net.n3);
    const readers = [r1, r2, r3];
    let v = await w.extend([1, 2, 3, 4, 5]);
    for (const r of readers) await r.when.reaches(v, within());
    for (const r of readers) expect(r.toArray()).toEqual([1, 2, 3, 4, 5]);
    v = await w.add(6);
    for (const r of readers) await r.when.reaches(v, within());
    for (const r of readers) expect(r.size).toBe(6);
    v = await w.delete(3);
    for (const r of readers) await r.when.reaches(v, within());
    for (const r of readers) expect([r.size, r.has(3)]).toEqual([5, false]);
  });

  it('multiple_writers: sequential adds from two writers and an extend leave identical sets everywhere', async () => {
    const Def = def('writers');
    await using a = Def.writer(net.n0);
    await using b = Def.writer(net.n1);
    await using r = Def.reader(net.n2);
    await Promise.all([a.when.online(within()), b.when.online(within())]);
    for (const i of range(0, 6)) await (i % 2 === 0 ? a : b).add(i);
    const v = await a.extend([10, 11]);
    await Promise.all([b.when.reaches(v, within()), r.when.reaches(v, within())]);
    const all = [0, 1, 2, 3, 4, 5, 10, 11];
    for (const h of [a, b, r]) expect(h.toArray()).toEqual(all);
  });

  it('catchup_multiple_readers: a late reader after 51 elements, another after 82, both equal', async () => {
    const Def = catchupDef('catchup-many');
    await using w = await Def.onlineWriter(net.n0, within());
    let v = await w.extend(range(0, 51));
    await using r1 = Def.reader(net.n1);
    await r1.when.reaches(v, within());
    expect(r1.size).toBe(51);
    v = await w.extend(range(51, 82));
    await using r2 = Def.reader(net.n2);
    await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within())]);
    expect([r1.size, r2.size]).toEqual([82, 82]);
    expect(r1.toArray()).toEqual(r2.toArray());
    expect(r2.toArray()).toEqual(w.toArray());
  });

  it('insert_duplicate: adding one value three times keeps one element', async () => {
    await using w = await def('duplicate').onlineWriter(net.n0, within());
    for (let i = 0; i < 3; i++) await w.add(7);
    expect([w.size, w.toArray()]).toEqual([1, [7]]);
  });

  it('extend_with_duplicates: overlapping extends (and repeats inside one) give 5 unique elements', async () => {
    await using w = await def('extend-dups').onlineWriter(net.n0, within());
    await w.extend([1, 2, 3]);
    await w.extend([2, 3, 4, 5, 5]);
    expect(w.toArray()).toEqual([1, 2, 3, 4, 5]);
  });

  it('remove_nonexistent: deleting a missing element changes nothing but still commits', async () => {
    await using w = await def('remove-missing').onlineWriter(net.n0, within());
    const before = await w.extend([1, 2, 3]);
    const v = await w.delete(999);
    expect(v).toBeGreaterThan(before);
    expect(w.toArray()).toEqual([1, 2, 3]);
  });

  it('clear_then_rebuild: after clear and add(100) only 100 is there', async () => {
    await using w = await def('rebuild').onlineWriter(net.n0, within());
    await w.extend([1, 2, 3]);
    await w.clear();
    await w.add(100);
    expect(w.toArray()).toEqual([100]);
  });

  it('extend_empty: extend([]) resolves with the current version and changes nothing', async () => {
    await using w = await def('extend-empty').onlineWriter(net.n0, within());
    await w.add(1);
    const at = w.version;
    expect(await w.extend([])).toBe(at); // no command: the version at call time
    expect(w.toArray()).toEqual([1]);
    await w.add(2);
    expect(w.toArray()).toEqual([1, 2]);
  });

  it('subset_check: two readers with equal contents are each a subset of the other', async () => {
    const Def = def('subset');
    await using w = await Def.onlineWriter(net.n0, within());
    await using r1 = Def.reader(net.n1);
    await using r2 = Def.reader(net.n2);
    const v = await w.extend([1, 2, 3]);
    await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within())]);
    expect([r1.isSubsetOf(r2), r2.isSubsetOf(r1), r1.isSubsetOf(w)]).toEqual([true, true, true]);
    const before = new Set(r1.toArray());
    const v2 = await w.delete(3);
    await Promise.all([r1.when.reaches(v2, within()), r2.when.reaches(v2, within())]);
    expect([r2.isSubsetOf(before), r2.isSubsetOf(new Set([1]))]).toEqual([true, false]);
    expect(r1.isSubsetOf(new Set([1, 2, 3, 4]))).toBe(true);
  });

  it('many_writers_many_readers: two writers and two readers agree on {2, 3, 4, 5, 6}', async () => {
    const Def = def('many');
    await using a = Def.writer(net.n0);
    await using b = Def.writer(net.n1);
    await Promise.all([a.when.online(within()), b.when.online(within())]);
    await using r1 = Def.reader(net.n2);
    await using r2 = Def.reader(net.n3);
    await a.extend([1, 2, 3]);
    await b.delete(1);
    await b.extend([4, 5]);
    const v = await a.add(6);
    for (const h of [b, r1, r2]) await h.when.reaches(v, within());
    for (const h of [a, b, r1, r2]) expect(h.toArray()).toEqual([2, 3, 4, 5, 6]);
  });

  it('late_writer_catchup: a writer joining later sees the 5 elements, adds 99, both see it', async () => {
    const Def = def('late-writer');
    await using w0 = await Def.onlineWriter(net.n0, within());
    const v = await w0.extend([1, 2, 3, 4, 5]);
    await using w1 = Def.writer(net.n1);
    await w1.when.reaches(v, within());
    expect(w1.toArray()).toEqual([1, 2, 3, 4, 5]);
    await w1.when.online(within());
    const v2 = await w1.add(99);
    expect(w1.has(99)).toBe(true);
    await w0.when.reaches(v2, within());
    expect(w0.toArray()).toEqual([1, 2, 3, 4, 5, 99]);
  });

  it('writer_reads_own_writes: a Set<string> writer reads has() and iteration right after each await', async () => {
    const Def = defineCollection.set<string>(storeName('own'), { consensus: FAST });
    await using w = await Def.onlineWriter(net.n0, within());
    await w.add('hello');
    expect(w.has('hello')).toBe(true);
    await w.add('world');
    expect([w.has('world'), w.has('nope'), w.size]).toEqual([true, false, 2]);
    expect([...w].sort()).toEqual(['hello', 'world']);
  });

  it('remove_all_elements: deleting one by one empties the set; adding again works', async () => {
    await using w = await def('remove-all').onlineWriter(net.n0, within());
    await w.extend([1, 2, 3]);
    for (const i of [1, 2, 3]) await w.delete(i);
    expect(w.size).toBe(0);
    await w.add(4);
    expect(w.toArray()).toEqual([4]);
  });

  it('remove_many: several at once, partly missing ones ignored, an empty list sends nothing', async () => {
    await using w = await def('remove-many').onlineWriter(net.n0, within());
    await w.extend([1, 2, 3, 4, 5]);
    await w.removeMany([2, 4, 5]);
    expect(w.toArray()).toEqual([1, 3]);
    await w.removeMany([1, 999]);
    expect(w.toArray()).toEqual([3]);
    const at = w.version;
    expect(await w.removeMany([])).toBe(at); // no command: the version at call time
    expect(w.toArray()).toEqual([3]);
    await w.add(6);
    expect(w.toArray()).toEqual([3, 6]);
  });

  it('construct_from_def: a Set<string> definition opened as writer and (its reader side) as reader replicates', async () => {
    const Def = defineCollection.set<string>(storeName('def'), { consensus: FAST });
    const Writers = Def.asWriter();
    const Readers = Def.asReader();
    await using w = await Writers.onlineWriter(net.n0, within());
    await using r = Readers.reader(net.n1);
    const v = await w.add('alpha');
    await r.when.reaches(v, within());
    expect(r.toArray()).toEqual(['alpha']);
    expect(r.groupId.equals(Def.groupId)).toBe(true);
  });

  it('construct_from_macro: a store id given as an expression (a digest, as hex) names the same store', async () => {
    const storeId = Digest.from(storeName('macro-id'));
    const Def = defineCollection.set<string>(storeId.toString(), { consensus: FAST });
    expect(Def.storeId.equals(storeId)).toBe(true);
    expect(defineCollection.set<string>(`${storeId.toString()}!`).storeId.equals(storeId)).toBe(false);
    await using w = await Def.onlineWriter(net.n0, within());
    await using r = await Def.onlineReader(net.n1, within());
    const v = await w.add('beta');
    await r.when.reaches(v, within());
    expect(r.has('beta')).toBe(true);
  });

  it('string_elements iterate in encoding order, identical on every replica (the port’s canonical order)', async () => {
    const Def = defineCollection.set<string>(storeName('strings'), { consensus: FAST });
    await using w = await Def.onlineWriter(net.n0, within());
    await using r = Def.reader(net.n1);
    const v = await w.extend(['pear', 'apple', 'fig', 'apple']);
    await r.when.reaches(v, within());
    expect(r.toArray()).toEqual(w.toArray());
    expect(r.size).toBe(3);
  });
});
