import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeCanonical, encodeCbor } from '@mosaik/id';
import { storage } from '@mosaik/rsm';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { describe, expect, it } from 'vitest';
import { Cluster, FAST, storeName, T, type TestNode, until, within } from '../test/fixtures.js';
import { defineCollection } from './collection.js';

async function metric(n: TestNode, name: string): Promise<number> {
  const m = await n.node.metrics.registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

/** A Standard Schema accepting numbers only. */
const numberSchema: StandardSchemaV1<unknown, number> = {
  '~standard': {
    version: 1,
    vendor: 'test',
    validate: (v) => (typeof v === 'number' ? { value: v } : { issues: [{ message: 'not a number' }] }),
  },
};

describe('scenarios', () => {
  it('three writers on three nodes doing compareExchange retry loops end with the exact count', async () => {
    await using c = new Cluster();
    const nodes = await c.addMany(3);
    // The counter is the list of increments: a successful CAS appends its unique token, so a
    // writer sees afterwards whether its own attempt took.
    const Def = defineCollection.map<string, string[]>(storeName('counter'), { consensus: FAST });
    const writers = nodes.map((n) => Def.writer(n));
    await Promise.all(writers.map((w) => w.when.online(within())));
    const perWriter = 12;
    let attempts = 0;
    await Promise.all(
      writers.map(async (w, i) => {
        for (let done = 0; done < perWriter; ) {
          const current = w.get('count');
          const token = `${i}-${done}`;
          attempts++;
          try {
            await w.compareExchange('count', current, [...(current ?? []), token]);
          } catch (error) {
            if ((error as { code?: string }).code !== 'offline') throw error;
            continue;
          }
          if (w.get('count')?.includes(token)) done++;
        }
      }),
    );
    const last = await writers[0]!.set('done', []);
    await Promise.all(writers.map((w) => w.when.reaches(last, within())));
    const final = writers[0]!.get('count')!;
    expect(final).toHaveLength(3 * perWriter);
    expect(new Set(final).size).toBe(3 * perWriter);
    for (const w of writers) expect(w.get('count')).toEqual(final);
    expect(attempts).toBeGreaterThanOrEqual(3 * perWriter);
    for (const w of writers) await w.close();
  });

  it('schema-invalid values from a hand-built rogue member are refused by the leader and dropped by replicas, and counted', async () => {
    await using c = new Cluster();
    const [honest, rogueNode, readerNode] = (await c.addMany(3)) as [TestNode, TestNode, TestNode];
    const Def = defineCollection.map<number, number>(storeName('rogue'), {
      consensus: FAST,
      valueSchema: numberSchema,
    });
    const w = await Def.onlineWriter(honest, within());
    const signature = w.replica.signature;
    // The rogue joins the same group with a machine that only mimics the signature and writes raw commands.
    const rogue = rogueNode.groups
      .withKey(Def.storeId)
      .withConsensus(FAST)
      .withStateMachine({
        signature,
        apply() {},
        query: () => null,
        snapshot: () => encodeCbor(['map', []]),
        restore() {},
      })
      .join();
    await rogue.when.online(within().signal);
    const invalid = { t: 1, k: encodeCanonical(1), v: encodeCanonical('not a number') };
    await expect(rogue.execute(invalid)).rejects.toMatchObject({ code: 'offline' });
    await until(
      async () => (await metric(honest, 'mosaik_groups_forwarded_commands_refused_total')) >= 1,
      'the leader did not count the refused command',
    );
    expect(w.get(1)).toBeUndefined();
    // A writer is refused locally too, before anything is sent.
    await expect(w.set(2, 'x' as unknown as number)).rejects.toMatchObject({ code: 'encoding' });

    // Now the rogue leads: what it commits reaches honest replicas, which drop and count it.
    await rogue.close();
    await w.close();
    const Def2 = defineCollection.map<number, number>(storeName('rogue-leader'), {
      consensus: FAST,
      valueSchema: numberSchema,
    });
    const probe = Def2.reader(readerNode);
    const rogueLeader = rogueNode.groups
      .withKey(Def2.storeId)
      .withConsensus(FAST)
      .withStateMachine({
        signature: probe.replica.signature,
        apply() {},
        query: () => null,
        snapshot: () => encodeCbor(['map', []]),
        restore() {},
      })
      .join();
    await rogueLeader.when.isLeader();
    await probe.when.online(within());
    await rogueLeader.execute(invalid);
    const ok = await rogueLeader.execute({ t: 1, k: encodeCanonical(2), v: encodeCanonical(2) });
    await probe.when.reaches(ok, within());
    expect(probe.get(1)).toBeUndefined();
    expect(probe.get(2)).toBe(2);
    expect(await metric(readerNode, 'mosaik_collections_invalid_values_total')).toBe(1);
    await probe.close();
    await rogueLeader.close();
  });

  it('a leader whose last writer handle closes steps down and keeps replicating as an observer', async () => {
    await using c = new Cluster();
    const [a, b, d] = (await c.addMany(3)) as [TestNode, TestNode, TestNode];
    const Def = defineCollection.map<number, number>(storeName('step-down'), { consensus: FAST });
    const wa = await Def.onlineWriter(a, within());
    await using wb = Def.writer(b);
    await using wd = Def.writer(d);
    await Promise.all([wb.when.online(within()), wd.when.online(within())]);
    await until(() => wa.group.members().voters.length === 3, 'three voters');
    expect(wa.group.isLeader()).toBe(true);
    await using ra = Def.reader(a);
    await wa.close(); // a keeps only its reader: an observer now
    const self = a.node.peerId.toString();
    await until(
      () =>
        !ra.group.isLeader() && ra.group.leader() !== undefined && ra.group.members().learners.includes(self),
      () => `leader ${ra.group.leader()?.short()}, ${JSON.stringify(ra.group.members())}`,
    );
    const v = await wb.set(1, 1);
    await ra.when.reaches(v, within());
    expect(ra.get(1)).toBe(1);
  });

  it('a reader on a node restarting with file storage resumes from its directory and catches up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'collections-file-'));
    try {
      await using c = new Cluster();
      const [a, b] = (await c.addMany(2)) as [TestNode, TestNode];
      const Def = defineCollection.map<number, number>(storeName('file'), {
        consensus: { ...FAST, deadMemberTimeout: 600_000 },
      });
      const w = await Def.onlineWriter(a, within());
      const r = Def.reader(b, { storage: storage.file(dir) });
      let v = 0;
      for (let i = 0; i < 10; i++) v = await w.set(i, i);
      await r.when.reaches(v, within());
      await b.close();
      for (let i = 10; i < 20; i++) v = await w.set(i, i);
      const b2 = await c.add(b.node.secretKey);
      const r2 = Def.reader(b2, { storage: storage.file(dir) });
      // Its own log already holds the first ten entries before it hears from anyone.
      await until(() => r2.get(9) === 9, 'state not restored from the directory');
      await r2.when.reaches(v, within());
      expect(r2.size).toBe(20);
      expect(r2.get(19)).toBe(19);
      await r2.close();
      await w.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    'a late reader catches up through a Raft snapshot once the log was compacted',
    async () => {
      await using c = new Cluster();
      const [a, b, d] = (await c.addMany(3)) as [TestNode, TestNode, TestNode];
      const Def = defineCollection.map<number, string>(storeName('compacted'), {
        consensus: { ...FAST, snapshotThreshold: 50, snapshotKeep: 5 },
      });
      const w = await Def.onlineWriter(a, within());
      const r1 = Def.reader(b);
      let v = 0;
      for (let i = 0; i < 200; i++) v = await w.set(i, 'x'.repeat(100) + i);
      await using late = Def.reader(d);
      const watched: string[] = [];
      const stop = new AbortController();
      const done = (async () => {
        for await (const e of late.watch({ signal: stop.signal })) watched.push(e.kind);
      })();
      await Promise.all([late.when.reaches(v, within()), r1.when.reaches(v, within())]);
      expect(late.size).toBe(200);
      expect([...late.entries()]).toEqual([...w.entries()]);
      expect(await metric(d, 'mosaik_collections_snapshots_installed_total')).toBeGreaterThanOrEqual(1);
      await until(() => watched.length >= 2, 'the watcher saw no fresh snapshot after the install');
      expect(watched.filter((k) => k === 'snapshot').length).toBeGreaterThanOrEqual(2);
      stop.abort();
      await done;
      await w.close();
      await r1.close();
    },
    T * 3,
  );
});
