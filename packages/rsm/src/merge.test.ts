/**
 * Two clusters of one group (rival clusters, tested as merges): clusters
 * founded while their members could not see each other merge once they bond. The longer
 * committed log wins (ties: the lower cluster id); the losers discard their state, emit `reset`
 * and end with exactly the winner's state.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretKey, waitFor } from '@mosaik/id';
import { FileStorage, RaftNode } from '@mosaik/raft';
import { describe, expect, it } from 'vitest';
import {
  Cluster,
  Counter,
  type CounterGroup,
  discoverAll,
  FAST,
  joinCounters,
  Kv,
  leadersConverged,
  T,
  type TestNode,
  votersAre,
} from '../test/fixtures.js';
import type { Group } from './group.js';
import { storage } from './storage.js';
import { LinkFaults } from './testing/faults.js';
import type { ResetEvent } from './when.js';

type KvGroup = Group<{ put: string; value: string }, string, string | null>;

/** Waits until every group is in one cluster and follows one leader; returns both. */
/** Five nodes that know each other in two islands, nodes 0–2 and 3–4, so they form two clusters. */
async function twoIslands(c: Cluster): Promise<TestNode[]> {
  const nodes = await c.addMany(5);
  await discoverAll(nodes.slice(0, 3));
  await discoverAll(nodes.slice(3));
  return nodes;
}

async function merged(groups: readonly Group<unknown, unknown, unknown>[], timeout = T) {
  return waitFor(
    () => {
      const cluster = groups[0]!.cluster;
      const leader = groups[0]!.leader();
      if (cluster === '' || leader === undefined) return undefined;
      const same = groups.every((g) => g.cluster === cluster && g.leader()?.equals(leader) === true);
      return same ? { cluster, leader } : undefined;
    },
    {
      timeout,
      interval: 20,
      message: () =>
        `clusters ${groups.map((g) => g.cluster.slice(-6) || '-').join(',')}; leaders ${groups
          .map((g) => g.leader()?.short() ?? '-')
          .join(',')}`,
    },
  );
}

describe('merging two clusters of one group', () => {
  it('rivals with different log positions: the longest committed log wins (leader.rs rivals_with_different_log_pos)', async () => {
    await using c = new Cluster();
    const nodes = await c.addMany(3);
    // No discovery between them yet: each founds a cluster of its own.
    const { machines, groups } = joinCounters(nodes, 'rivals-diff');
    await Promise.all(groups.map((g) => waitFor(g.when.isLeader(), { timeout: T })));
    const range = await groups[0]!.executeMany([{ inc: 3 }, { inc: 2 }, { inc: 1 }]);
    expect(range.last - range.first).toBe(2);
    await groups[1]!.execute({ inc: 1 });
    const clusters = groups.map((g) => g.cluster);
    expect(new Set(clusters).size).toBe(3);
    const before = groups.map((g) => g.committed());
    expect(before[0]).toBeGreaterThan(before[1]!);
    expect(before[1]).toBeGreaterThan(before[2]!);
    const resets: Promise<ResetEvent>[] = [groups[1]!.when.reset(), groups[2]!.when.reset()];

    await discoverAll(nodes);

    const { cluster, leader } = await merged(groups);
    expect(cluster).toBe(clusters[0]);
    expect(leader.equals(nodes[0]!.peerId)).toBe(true);
    const [r1, r2] = await waitFor(Promise.all(resets), { timeout: T });
    expect(r1!.discarded).toEqual({ cluster: clusters[1], committed: before[1] });
    expect(r2!.discarded).toEqual({ cluster: clusters[2], committed: before[2] });
    expect(r1!.joined).toBe(clusters[0]);
    expect(groups[1]!.lastReset()).toBe(r1);
    expect(groups[0]!.lastReset()).toBeUndefined();
    // Identical state: the winner's, the loser's +1 is gone.
    await waitFor(() => groups.every((g) => g.committed() >= groups[0]!.committed()), { timeout: T });
    for (const m of machines) expect(m.value).toBe(6);
    // And it is one group again: a command from a former loser commits everywhere.
    const at = await groups[2]!.execute({ inc: 10 });
    await waitFor(() => groups.every((g) => g.committed() >= at), { timeout: T });
    for (const m of machines) expect(m.value).toBe(16);
    await votersAre(groups, 3);
  });

  it('rivals with the same log position: the lower cluster id wins (leader.rs rivals_with_same_log_pos)', async () => {
    await using c = new Cluster();
    const nodes = await c.addMany(3);
    const groups = nodes.map((n) => n.groups.withKey('rivals-same').withConsensus(FAST).join());
    await Promise.all(groups.map((g) => waitFor(g.when.isLeader(), { timeout: T })));
    const committed = groups.map((g) => g.committed());
    expect(new Set(committed).size).toBe(1);
    const clusters = groups.map((g) => g.cluster);
    const lowest = [...clusters].sort()[0]!;
    const winner = clusters.indexOf(lowest);

    await discoverAll(nodes);

    const { cluster, leader } = await merged(groups);
    expect(cluster).toBe(lowest);
    expect(leader.equals(nodes[winner]!.peerId)).toBe(true);
    for (const [i, g] of groups.entries()) {
      await waitFor(g.when.leaderIs(leader), { timeout: 2000 });
      if (i === winner) expect(g.lastReset()).toBeUndefined();
      else expect(g.lastReset()?.discarded).toEqual({ cluster: clusters[i], committed: committed[i] });
    }
  });

  it('a founder that stopped before its first snapshot names its cluster anew, keeps it, and merges', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsm-founder-'));
    try {
      await using c = new Cluster();
      const [a, b] = await c.addMany(2);
      // What a founder leaves on disk if it dies between its first fsync and its first snapshot.
      const disk = FileStorage.open(dir);
      const self = a!.peerId.toString();
      const raft = new RaftNode({ id: self, storage: disk, bootstrap: { voters: [self], learners: [] } });
      const rd = raft.ready();
      disk.append(rd.entries);
      if (rd.hardState !== undefined) disk.setHardState(rd.hardState);
      disk.sync();
      disk.close();
      expect(disk.snapshot().meta.index).toBe(0);

      const machine = new Counter();
      const join = (n: typeof a) =>
        n!.groups
          .withKey('crashed-founder')
          .withStateMachine(machine)
          .withStorage(storage.file(dir))
          .withConsensus(FAST)
          .join() as CounterGroup;
      const ga = join(a);
      const named = ga.cluster;
      expect(named).not.toBe('');
      await waitFor(ga.when.isLeader(), { timeout: T });
      await ga.execute({ inc: 2 });
      await ga.close();
      // The new name was snapshotted: it survives a restart.
      const a2 = await c.add(a!.node.secretKey);
      const ga2 = join(a2);
      expect(ga2.cluster).toBe(named);
      await waitFor(() => machine.value === 2, { timeout: T });

      // And it merges like any cluster: b's longer log wins.
      const gb: CounterGroup = b!.groups
        .withKey('crashed-founder')
        .withStateMachine(new Counter())
        .withConsensus(FAST)
        .join();
      await waitFor(gb.when.isLeader(), { timeout: T });
      await gb.executeMany(Array.from({ length: 10 }, () => ({ inc: 1 })));
      await discoverAll([a2, b!]);
      const { cluster } = await merged([ga2, gb]);
      expect(cluster).toBe(gb.cluster);
      expect(ga2.lastReset()?.discarded.cluster).toBe(named);
      await waitFor(() => machine.value === 10, { timeout: T });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two multi-member clusters: the losers end with exactly the winner’s state, also on disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rsm-merge-'));
    try {
      await using c = new Cluster();
      const nodes = await twoIslands(c);
      const machines = nodes.map(() => new Kv());
      const config = { ...FAST, snapshotThreshold: 10, snapshotKeep: 2 };
      const groups: KvGroup[] = nodes.map((n, i) =>
        n.groups
          .withKey('merge-kv')
          .withStateMachine(machines[i]!)
          .withStorage(i === 4 ? storage.file(dir) : storage.memory())
          .withConsensus(config)
          .join(),
      );
      const bigGroups = groups.slice(0, 3);
      const smallGroups = groups.slice(3);
      await leadersConverged(bigGroups);
      await leadersConverged(smallGroups);
      await votersAre(bigGroups, 3);
      await waitFor(
        () => smallGroups.every((g) => g.members().learners.length + g.members().voters.length === 2),
        {
          timeout: T,
        },
      );
      expect(bigGroups[0]!.cluster).not.toBe(smallGroups[0]!.cluster);
      for (let i = 0; i < 20; i++) await bigGroups[i % 3]!.execute({ put: `k${i % 7}`, value: `big-${i}` });
      await smallGroups[0]!.execute({ put: 'k0', value: 'small' });
      await smallGroups[1]!.execute({ put: 'only-small', value: 'x' });
      await waitFor(() => smallGroups.every((g) => g.committed() === smallGroups[0]!.committed()), {
        timeout: T,
      });
      const winnerCluster = bigGroups[0]!.cluster;
      const loserCluster = smallGroups[0]!.cluster;
      const loserCommitted = smallGroups.map((g) => g.committed());
      const resets = smallGroups.map((g) => g.when.reset());

      await discoverAll(nodes);

      const { cluster } = await merged(groups, 2 * T);
      expect(cluster).toBe(winnerCluster);
      const events = await waitFor(Promise.all(resets), { timeout: T });
      for (const [i, e] of events.entries()) {
        expect(e.discarded).toEqual({ cluster: loserCluster, committed: loserCommitted[i] });
        expect(e.joined).toBe(winnerCluster);
      }
      for (const g of bigGroups) expect(g.lastReset()).toBeUndefined();
      // All five replicate one log: a write from a former loser reaches everyone.
      const at = await smallGroups[0]!.execute({ put: 'after', value: 'merge' });
      await waitFor(() => groups.every((g) => g.committed() >= at), { timeout: T });
      const expected = [...machines[0]!.map.entries()].sort();
      expect(expected).toContainEqual(['after', 'merge']);
      expect(machines[0]!.map.has('only-small')).toBe(false);
      expect(machines[0]!.map.get('k0')).not.toBe('small');
      for (const m of machines) expect([...m.map.entries()].sort()).toEqual(expected);
      await votersAre(groups, 5, 2 * T);

      // The loser with FileStorage restarts into the winner's cluster and state.
      await nodes[4]!.close();
      const again = await c.add(nodes[4]!.node.secretKey);
      const restarted = new Kv();
      const g4 = again.groups
        .withKey('merge-kv')
        .withStateMachine(restarted)
        .withStorage(storage.file(dir))
        .withConsensus(config)
        .join();
      expect(g4.cluster).toBe(winnerCluster);
      await waitFor(() => restarted.map.get('after') === 'merge', { timeout: T });
      expect(restarted.map.has('only-small')).toBe(false);
      await g4.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('clusters under write load merge: acknowledged writes of the winner survive, the loser’s are gone', async () => {
    await using c = new Cluster();
    const nodes = await twoIslands(c);
    const machines = nodes.map(() => new Kv());
    const groups: KvGroup[] = nodes.map((n, i) =>
      n.groups.withKey('merge-load').withStateMachine(machines[i]!).withConsensus(FAST).join(),
    );
    await leadersConverged(groups.slice(0, 3));
    await leadersConverged(groups.slice(3));
    await votersAre(groups.slice(0, 3), 3);
    let running = true;
    const acked: { key: string; cluster: string }[] = [];
    const writers = groups.map(async (g, gi) => {
      for (let k = 0; running; k++) {
        const key = `w${gi}-${k}`;
        // A lone voter commits within microtasks: let timers and I/O run between writes.
        await new Promise((r) => setImmediate(r));
        try {
          await g.execute({ put: key, value: 'v' });
          acked.push({ key, cluster: g.cluster });
        } catch {
          await new Promise((r) => setTimeout(r, 10)); // Offline while merging or electing
        }
      }
    });
    await waitFor(() => acked.length >= 20, { timeout: T, message: () => `acked ${acked.length}` });
    const before = groups.map((g) => g.cluster);

    await discoverAll(nodes);

    // Either side may win: the one that committed more by the time they met.
    const { cluster } = await merged(groups, 2 * T);
    const losers = groups.filter((_, i) => before[i] !== cluster);
    expect(losers.length === 2 || losers.length === 3).toBe(true);
    await waitFor(() => losers.every((g) => g.lastReset() !== undefined), {
      timeout: T,
      message: () => 'no reset',
    });
    for (const g of groups) if (!losers.includes(g)) expect(g.lastReset()).toBeUndefined();
    // Writes continue after the merge, from former losers too.
    const mark = acked.length;
    const loserPrefixes = losers.map((g) => `w${groups.indexOf(g)}-`);
    await waitFor(
      () => acked.slice(mark).filter((a) => loserPrefixes.some((p) => a.key.startsWith(p))).length >= 2,
      {
        timeout: T,
        message: () =>
          `acked since merge ${acked
            .slice(mark)
            .map((a) => a.key.split('-')[0])
            .join(',')}`,
      },
    );
    running = false;
    await Promise.all(writers);
    const last = Math.max(...groups.map((g) => g.committed()));
    await waitFor(() => groups.every((g) => g.committed() >= last), {
      timeout: T,
      message: () => `committed ${groups.map((g) => g.committed()).join(',')} of ${last}`,
    });
    const state = [...machines[0]!.map.entries()].sort();
    for (const m of machines) expect([...m.map.entries()].sort()).toEqual(state);
    const loser = acked.filter((a) => a.cluster !== cluster);
    const winner = acked.filter((a) => a.cluster === cluster);
    expect(loser.length).toBeGreaterThan(0);
    for (const a of winner) expect(machines[0]!.map.has(a.key)).toBe(true);
    for (const a of loser) expect(machines[0]!.map.has(a.key)).toBe(false);
  });

  it('a late member with the lowest peer id joins the running cluster instead of founding its own', async () => {
    const faults = new LinkFaults();
    await using c = new Cluster({ faults });
    const nodes = await c.addMany(3);
    await discoverAll(nodes);
    const { machines, groups } = joinCounters(nodes, 'late-lowest');
    const { cluster } = await merged(groups);
    for (let i = 0; i < 5; i++) await groups[0]!.execute({ inc: 1 });

    // The newcomer sorts below every member, sees them all in its catalog before any bond exists,
    // and may found after 1 ms: only knowing their state stops it from founding a rival cluster
    // (whose merge would throw away what one side committed).
    const lowest = nodes.map((n) => n.peerId.toString()).sort()[0]!;
    let key = SecretKey.generate();
    while (key.peerId.toString() >= lowest) key = SecretKey.generate();
    const late = await c.add(key);
    // Slow links to the members: their status reaches the newcomer well after it may found.
    for (const n of nodes) faults.setBoth(late.peerId, n.peerId, { delay: 400 });
    await discoverAll([...nodes, late]);
    const machine = new Counter();
    const group = late.groups
      .withKey('late-lowest')
      .withStateMachine(machine)
      .withConsensus({ ...FAST, bootstrapDelay: 1 })
      .join();
    const clustersSeen = new Set<string>();
    await waitFor(
      () => {
        if (group.cluster !== '') clustersSeen.add(group.cluster);
        return group.cluster === cluster && machine.value === 5;
      },
      {
        timeout: T,
        interval: 2,
        message: () => `newcomer in cluster ${group.cluster || '-'} with value ${machine.value}`,
      },
    );
    expect([...clustersSeen]).toEqual([cluster]);
    for (const g of groups) {
      expect(g.cluster).toBe(cluster);
      expect(g.lastReset()).toBeUndefined();
    }
    expect(group.lastReset()).toBeUndefined();
    expect(machines.map((m) => m.value)).toEqual([5, 5, 5]);
  });
});
