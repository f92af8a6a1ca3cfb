/**
 * Catch-up (the original's sync/map.rs, sync/vec.rs, sync/set.rs, sync/depq.rs): the scenarios
 * those files share, one test per line and kind, run against each kind through a small adapter.
 * Element `i` is `i → i · 10` in a Map, `i · 10` in a Vec (at index `i`), `i` in a Set, and
 * `(i, i, i · 10)` in a PriorityQueue; "large" elements are 10 KB strings instead. The log is
 * compacted every 100 entries (keeping 10), so a late reader ("r2") installs a snapshot once
 * more than that was written, and replays the log otherwise. The
 * kind-specific lines (mixed mutations, duplicates, ranges, min/max) are in sync.test.ts.
 */
import type { ConsensusConfig } from '@mosaik/rsm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, FAST, storeName, T, type TestNode, until, within } from '../test/fixtures.js';
import { defineCollection } from './collection.js';
import type { CollectionDef } from './define.js';
import type { CollectionHandle, Version } from './handle.js';
import type { MapReader, MapWriter } from './map.js';
import type { PriorityQueueReader, PriorityQueueWriter } from './pq.js';
import type { SetReader, SetWriter } from './set.js';
import type { VecReader, VecWriter } from './vec.js';

const cluster = new Cluster();
let n0: TestNode;
let n1: TestNode;
let n2: TestNode;
let n3: TestNode;

beforeAll(async () => {
  [n0, n1, n2, n3] = (await cluster.addMany(4)) as [TestNode, TestNode, TestNode, TestNode];
});
afterAll(() => cluster.close());

const consensus: Partial<ConsensusConfig> = { ...FAST, snapshotThreshold: 100, snapshotKeep: 10 };

/** Small elements are numbers, large ones 10 KB strings: one element type serves both. */
type Elem = number | string;
/** What the scenarios use of any handle. */
type AnyHandle = Pick<
  CollectionHandle<unknown, unknown, unknown, unknown>,
  'when' | 'version' | 'close' | typeof Symbol.asyncDispose
>;
const large = (i: number) => `${i}`.padEnd(10_000, '.');

/** What the shared scenarios need to know about one kind. */
interface Kind<R extends AnyHandle, W extends R> {
  readonly label: string;
  define(what: string, consensus: Partial<ConsensusConfig>): CollectionDef<R, W>;
  /** Writes elements `[from, to)` as one command. */
  extend(w: W, from: number, to: number, element: (i: number) => Elem): Promise<Version>;
  /** Writes element `i` as one command of its own. */
  one(w: W, i: number): Promise<Version>;
  clear(w: W): Promise<Version>;
  size(h: R): number;
  /** Element `i` is there, with its value. */
  holds(h: R, i: number, element: (i: number) => Elem): boolean;
  /** The whole contents, to compare replicas. */
  dump(h: R): unknown[];
  /** Reads that must succeed whenever a syncing replica is not empty (it never shows a partial state). */
  whole(h: R): boolean;
}

const small = (i: number): Elem => i * 10;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

const map: Kind<MapReader<number, Elem>, MapWriter<number, Elem>> = {
  label: 'map',
  define: (what, c) => defineCollection.map<number, Elem>(storeName(`map-${what}`), { consensus: c }),
  extend: (w, from, to, element) => w.extend(range(from, to).map((i) => [i, element(i)] as const)),
  one: (w, i) => w.set(i, small(i)),
  clear: (w) => w.clear(),
  size: (h) => h.size,
  holds: (h, i, element) => h.get(i) === element(i),
  dump: (h) => [...h.entries()],
  whole: (h) => h.get(0) !== undefined && h.has(0),
};

const vec: Kind<VecReader<Elem>, VecWriter<Elem>> = {
  label: 'vec',
  define: (what, c) => defineCollection.vec<Elem>(storeName(`vec-${what}`), { consensus: c }),
  extend: (w, from, to, element) => w.extend(range(from, to).map(element)),
  one: (w, i) => w.pushBack(small(i)),
  clear: (w) => w.clear(),
  size: (h) => h.length,
  holds: (h, i, element) => h.get(i) === element(i),
  dump: (h) => h.toArray(),
  whole: (h) => h.get(0) !== undefined && h.get(h.length - 1) !== undefined,
};

const set: Kind<SetReader<Elem>, SetWriter<Elem>> = {
  label: 'set',
  define: (what, c) => defineCollection.set<Elem>(storeName(`set-${what}`), { consensus: c }),
  extend: (w, from, to, element) =>
    w.extend(range(from, to).map((i) => (element === small ? i : element(i)))),
  one: (w, i) => w.add(i),
  clear: (w) => w.clear(),
  size: (h) => h.size,
  holds: (h, i, element) => h.has(element === small ? i : element(i)),
  dump: (h) => h.toArray(),
  whole: (h) => h.has(0),
};

const pq: Kind<PriorityQueueReader<number, number, Elem>, PriorityQueueWriter<number, number, Elem>> = {
  label: 'priority queue',
  define: (what, c) =>
    defineCollection.priorityQueue<number, number, Elem>(storeName(`pq-${what}`), { consensus: c }),
  extend: (w, from, to, element) => w.extend(range(from, to).map((i) => [i, i, element(i)] as const)),
  one: (w, i) => w.insert(i, i, small(i)),
  clear: (w) => w.clear(),
  size: (h) => h.size,
  holds: (h, i, element) => h.get(i) === element(i) && h.getPriority(i) === i,
  dump: (h) => [...h.entries()],
  whole: (h) => h.get(0) !== undefined && h.has(0) && h.getMin() !== undefined,
};

/** Writes `[0, n)`: one by one, in commands of `batch`, or in one command. */
async function fill<R extends AnyHandle, W extends R>(
  kind: Kind<R, W>,
  w: W,
  n: number,
  how: 'one by one' | 'batches' | 'one extend',
): Promise<Version> {
  let v = w.version;
  if (how === 'one extend') return n === 0 ? v : kind.extend(w, 0, n, small);
  if (how === 'batches') {
    for (let i = 0; i < n; i += 100) v = await kind.extend(w, i, Math.min(n, i + 100), small);
    return v;
  }
  for (let i = 0; i < n; i++) v = await kind.one(w, i);
  return v;
}

function scenarios<R extends AnyHandle, W extends R>(kind: Kind<R, W>): void {
  const expectAll = (h: R, n: number, element: (i: number) => Elem = small) => {
    expect(kind.size(h)).toBe(n);
    const missing = range(0, n).filter((i) => !kind.holds(h, i, element));
    expect(missing).toEqual([]);
  };

  describe(`${kind.label} catch-up`, () => {
    it.each([
      [1, 'one by one'],
      [100, 'one by one'],
      [1000, 'batches'],
      [10_000, 'one extend'],
    ] as const)('frozen(%i elements, %s): w0, r1 and late r2 hold identical data', async (n, how) => {
      const Def = kind.define('frozen', consensus);
      await using w = await Def.onlineWriter(n0, within());
      await using r1 = Def.reader(n1);
      const v = await fill(kind, w, n, how);
      await using r2 = Def.reader(n2);
      await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within(T * 2))]);
      expectAll(r2, n);
      expect(kind.dump(r2)).toEqual(kind.dump(w));
      expect(kind.dump(r1)).toEqual(kind.dump(w));
    });

    it('writes_during_sync: single writes issued while the late reader syncs all arrive', async () => {
      const Def = kind.define('during', consensus);
      await using w = await Def.onlineWriter(n0, within());
      await kind.extend(w, 0, 2000, small);
      await using r2 = Def.reader(n2);
      let v = 0;
      for (let i = 2000; i < 2100; i++) v = await kind.one(w, i);
      await r2.when.reaches(v, within());
      expectAll(r2, 2100);
      expect(kind.dump(r2)).toEqual(kind.dump(w));
    });

    it('empty: with no data the reader comes online and is empty', async () => {
      const Def = kind.define('empty', consensus);
      await using w = await Def.onlineWriter(n0, within());
      await using r1 = await Def.onlineReader(n1, within());
      expect([kind.size(r1), kind.dump(r1), kind.size(w)]).toEqual([0, [], 0]);
    });

    it('single_element: one element reaches r1 and late r2, nothing more', async () => {
      const Def = kind.define('single', consensus);
      await using w = await Def.onlineWriter(n0, within());
      await using r1 = Def.reader(n1);
      const v = await kind.one(w, 0);
      await using r2 = Def.reader(n2);
      await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within())]);
      for (const r of [r1, r2]) {
        expectAll(r, 1);
        expect(kind.holds(r, 1, small)).toBe(false);
      }
    });

    it('reader_before_writer: a reader opened first comes online with the writer and gets an extend of 100', async () => {
      const Def = kind.define('first', consensus);
      await using r = Def.reader(n1);
      await using w = Def.writer(n0);
      await Promise.all([r.when.online(within()), w.when.online(within())]);
      const v = await kind.extend(w, 0, 100, small);
      await r.when.reaches(v, within());
      expectAll(r, 100);
    });

    it.each([
      [1000, 256],
      [1000, 64 * 1024 * 1024],
    ])(
      'extreme_batch_sizes(%i elements, snapshot chunks of %i bytes): r1 and late r2 match',
      async (n, chunk) => {
        const Def = kind.define(`chunks-${chunk}`, { ...consensus, snapshotChunkSize: chunk });
        await using w = await Def.onlineWriter(n0, within());
        await using r1 = Def.reader(n1);
        const v = await fill(kind, w, n, 'batches');
        await using r2 = Def.reader(n2);
        await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within(T * 2))]);
        expectAll(r2, n);
        expect(kind.dump(r1)).toEqual(kind.dump(w));
      },
    );

    it('many_readers: three readers opened at once on other nodes all reach 1000 elements', async () => {
      const Def = kind.define('many', consensus);
      await using w = await Def.onlineWriter(n0, within());
      const v = await fill(kind, w, 1000, 'batches');
      const readers = [n1, n2, n3].map((n) => Def.reader(n));
      try {
        await Promise.all(readers.map((r) => r.when.reaches(v, within(T * 2))));
        for (const r of readers) expect(kind.dump(r)).toEqual(kind.dump(w));
      } finally {
        await Promise.all(readers.map((r) => r.close()));
      }
    });

    it('incremental_after_convergence: after an extend of 500, 500 single writes reach the readers', async () => {
      const Def = kind.define('incremental', consensus);
      await using w = await Def.onlineWriter(n0, within());
      await using r1 = Def.reader(n1);
      await using r2 = Def.reader(n2);
      let v = await kind.extend(w, 0, 500, small);
      await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within())]);
      for (let i = 500; i < 1000; i++) v = await kind.one(w, i);
      await Promise.all([r1.when.reaches(v, within()), r2.when.reaches(v, within())]);
      expectAll(r1, 1000);
      expect(kind.dump(r2)).toEqual(kind.dump(w));
    });

    it('concurrent_reads_during_sync: a syncing reader is empty or whole, never partial', async () => {
      const Def = kind.define('partial', consensus);
      await using w = await Def.onlineWriter(n0, within());
      const v = await kind.extend(w, 0, 10_000, small);
      await using r2 = Def.reader(n2);
      const sizes = new Set<number>();
      await until(() => {
        const size = kind.size(r2);
        sizes.add(size);
        if (size > 0) expect(kind.whole(r2)).toBe(true);
        return r2.version >= v;
      }, 'the late reader did not reach the data');
      expect([...sizes].filter((s) => s !== 0 && s !== 10_000)).toEqual([]);
    });

    it.each([
      [1000, 500],
      [10_000, 5000],
    ])('extend_during_snapshot_sync(%i, then one extend of %i): all converge', async (initial, extra) => {
      const Def = kind.define('extend-during', consensus);
      await using w = await Def.onlineWriter(n0, within());
      await kind.extend(w, 0, initial, small);
      await using r2 = Def.reader(n2);
      const v = await kind.extend(w, initial, initial + extra, small);
      await r2.when.reaches(v, within(T * 2));
      expectAll(r2, initial + extra);
      expect(kind.dump(r2)).toEqual(kind.dump(w));
    });

    it('clear_and_repopulate: 500, clear, 200 others; the late reader holds only the 200', async () => {
      const Def = kind.define('clear', consensus);
      await using w = await Def.onlineWriter(n0, within());
      await kind.extend(w, 0, 500, small);
      await kind.clear(w);
      const v = await kind.extend(w, 1000, 1200, small);
      await using r2 = Def.reader(n2);
      await r2.when.reaches(v, within());
      expect(kind.size(r2)).toBe(200);
      expect(kind.holds(r2, 0, small)).toBe(false);
      expect(kind.dump(r2)).toEqual(kind.dump(w));
    });

    it('large_elements: 100 × 10 KB elements reach r1 and late r2', async () => {
      const Def = kind.define('large', consensus);
      await using w = await Def.onlineWriter(n0, within());
      await using r1 = Def.reader(n1);
      let v = 0;
      for (let i = 0; i < 100; i += 10) v = await kind.extend(w, i, i + 10, large);
      await using r2 = Def.reader(n2);
      await Promise.all([r1.when.reaches(v, within(T * 2)), r2.when.reaches(v, within(T * 2))]);
      expectAll(r1, 100, large);
      expectAll(r2, 100, large);
    });

    it('recreate_reader: a reader closed and opened again on one node syncs all 200 afresh', async () => {
      const Def = kind.define('recreate', consensus);
      await using w = await Def.onlineWriter(n0, within());
      let v = await kind.extend(w, 0, 100, small);
      const r = Def.reader(n3);
      await r.when.reaches(v, within());
      await r.close();
      v = await kind.extend(w, 100, 200, small);
      await using again = Def.reader(n3);
      await again.when.reaches(v, within());
      expectAll(again, 200);
    });
  });
}

scenarios(map);
scenarios(vec);
scenarios(set);
scenarios(pq);
