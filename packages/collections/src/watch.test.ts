import { getEventListeners } from 'node:events';
import { linkedTo, scaled } from '@mosaik/id';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster, FAST, storeName, T, type TestNode, until } from '../test/fixtures.js';
import { defineCollection } from './collection.js';
import type { WatchEvent } from './handle.js';
import type { MapEvent, MapSnapshot } from './map.js';

const cluster = new Cluster();
let nodes: TestNode[];

beforeAll(async () => {
  nodes = await cluster.addMany(4);
});
afterAll(() => cluster.close());

const opts = () => ({ signal: AbortSignal.timeout(scaled(T)) });
type Ev = WatchEvent<MapEvent<number, number>, MapSnapshot<number, number>>;

/** Folds watch events into a map; checks versions never go back and changes follow their snapshot. */
function fold(events: readonly Ev[]): Map<number, number> {
  const state = new Map<number, number>();
  let version = -1;
  for (const e of events) {
    expect(e.version).toBeGreaterThanOrEqual(version);
    version = e.version;
    switch (e.kind) {
      case 'snapshot':
        state.clear();
        for (const [k, v] of e.entries) state.set(k, v);
        break;
      case 'set':
        state.set(e.key, e.value);
        break;
      case 'delete':
        state.delete(e.key);
        break;
      case 'clear':
        state.clear();
        break;
      case 'lagged':
        break;
    }
  }
  return state;
}

/** Collects `watch` events in the background until aborted. */
function collect(iterable: AsyncIterable<Ev>): { events: Ev[]; done: Promise<void> } {
  const events: Ev[] = [];
  const done = (async () => {
    for await (const e of iterable) events.push(e);
  })();
  return { events, done };
}

describe('watch', () => {
  it('yields the current contents as one snapshot, then every change in commit order, on writer and reader', async () => {
    const Def = defineCollection.map<number, number>(storeName('watch'), { consensus: FAST });
    await using w = await Def.onlineWriter(nodes[0]!, opts());
    await using r = Def.reader(nodes[1]!);
    await w.set(1, 1);
    const v0 = await w.set(2, 2);
    await r.when.reaches(v0, opts());
    const stop = new AbortController();
    const onWriter = collect(w.watch({ signal: stop.signal }));
    const onReader = collect(r.watch({ signal: stop.signal }));
    await until(() => onWriter.events.length === 1 && onReader.events.length === 1, 'first snapshot');
    expect(onReader.events[0]!.version).toBeGreaterThanOrEqual(v0);
    expect(onReader.events[0]).toMatchObject({
      kind: 'snapshot',
      entries: [
        [1, 1],
        [2, 2],
      ],
    });
    const v1 = await w.set(1, 10);
    const v2 = await w.delete(2);
    const v3 = await w.extend([
      [3, 3],
      [4, 4],
    ]);
    await r.when.reaches(v3, opts());
    await until(
      () => onReader.events.length === 5,
      () => `reader events: ${JSON.stringify(onReader.events)}`,
    );
    stop.abort();
    await Promise.all([onWriter.done, onReader.done]);
    expect(onReader.events.slice(1)).toEqual([
      { kind: 'set', key: 1, value: 10, previous: 1, version: v1 },
      { kind: 'delete', key: 2, previous: 2, version: v2 },
      { kind: 'set', key: 3, value: 3, version: v3 },
      { kind: 'set', key: 4, value: 4, version: v3 },
    ]);
    expect(onWriter.events.slice(1)).toEqual(onReader.events.slice(1));
    expect(onWriter.events[0]).toMatchObject({
      kind: 'snapshot',
      entries: (onReader.events[0] as { entries: unknown }).entries,
    });
  });

  it('a watcher slower than its buffer gets lagged, then a fresh snapshot, never a gap', async () => {
    const Def = defineCollection.map<number, number>(storeName('lag'), { consensus: FAST });
    await using w = await Def.onlineWriter(nodes[0]!, opts());
    const it = w.watch({ bufferSize: 4 })[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value).toMatchObject({ kind: 'snapshot', entries: [] });
    let v = 0;
    for (let i = 0; i < 10; i++) v = await w.set(i, i);
    const lagged = await it.next();
    expect(lagged.value).toMatchObject({ kind: 'lagged', version: v });
    expect((lagged.value as { missed: number }).missed).toBeGreaterThanOrEqual(6);
    const snap = await it.next();
    expect(snap.value).toMatchObject({ kind: 'snapshot', version: v });
    expect((snap.value as unknown as { entries: unknown[] }).entries).toHaveLength(10);
    const v2 = await w.set(100, 100);
    expect((await it.next()).value).toEqual({ kind: 'set', key: 100, value: 100, version: v2 });
    await it.return?.();
    expect(w.replica.feed.size).toBe(0);
  });

  it('ends when the handle closes', async () => {
    const Def = defineCollection.map<number, number>(storeName('close'), { consensus: FAST });
    const w = Def.writer(nodes[0]!);
    const c = collect(w.watch());
    await until(() => c.events.length === 1, 'snapshot');
    await w.close();
    await c.done;
  });

  it('repeated waits and watches under a long-lived signal leave nothing on it', async () => {
    const Def = defineCollection.map<number, number>(storeName('held'), { consensus: FAST });
    await using w = await Def.onlineWriter(nodes[0]!, opts());
    const long = new AbortController();
    const held = () => {
      // Abort listeners, links still following it, and what `AbortSignal.any` records on a
      // source (a Node internal set).
      const key = Object.getOwnPropertySymbols(long.signal).find(
        (k) => k.description === 'kDependantSignals',
      );
      const set =
        key === undefined ? undefined : (long.signal as unknown as Record<symbol, Set<unknown>>)[key];
      return getEventListeners(long.signal, 'abort').length + linkedTo(long.signal) + (set?.size ?? 0);
    };
    for (let i = 0; i < 20; i++) {
      await w.when.online({ signal: long.signal });
      await w.when.reaches(await w.set(i, i), { signal: long.signal });
      const it = w.watch({ signal: long.signal });
      await it.next();
      await it.return?.();
    }
    expect(held()).toBe(0);
  });

  it('has no gap across a leader failover', async () => {
    const local = new Cluster();
    try {
      const [a, b, c, d] = await local.addMany(4);
      const Def = defineCollection.map<number, number>(storeName('failover'), { consensus: FAST });
      const writers = [Def.writer(a!), Def.writer(b!), Def.writer(c!)];
      const reader = Def.reader(d!);
      await Promise.all(writers.map((x) => x.when.online(opts())));
      await until(() => writers.every((x) => x.group.members().voters.length === 3), 'three voters');
      const stop = new AbortController();
      const watched = collect(reader.watch({ signal: stop.signal }));
      const write = async (i: number) => {
        for (;;) {
          const live = writers.filter((x) => !x.isClosed);
          try {
            return await live[i % live.length]!.set(i, i);
          } catch (error) {
            if ((error as { code?: string }).code !== 'offline') throw error;
            await live[0]!.when.online(opts());
          }
        }
      };
      for (let i = 0; i < 20; i++) await write(i);
      const leader = writers.find((x) => x.group.isLeader())!;
      const leaderNode = local.nodes[writers.indexOf(leader)]!;
      await leader.close();
      await leaderNode.close();
      let v = 0;
      for (let i = 20; i < 40; i++) v = await write(i);
      await reader.when.reaches(v, opts());
      await until(
        () => fold(watched.events).size === 40,
        () => `folded ${fold(watched.events).size}`,
      );
      stop.abort();
      await watched.done;
      const expected = new Map(Array.from({ length: 40 }, (_, i) => [i, i]));
      expect(fold(watched.events)).toEqual(expected);
      expect(reader.toMap()).toEqual(expected);
      // Each key was set exactly once: a change seen twice or missed would show here.
      const sets = watched.events.filter((e) => e.kind === 'set');
      const fromSnapshot = watched.events[0]!.kind === 'snapshot' ? watched.events[0]!.entries.length : 0;
      expect(sets.length + fromSnapshot).toBe(40);
      for (const x of writers) await x.close();
      await reader.close();
    } finally {
      await local.close();
    }
  });
});
