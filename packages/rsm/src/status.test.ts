import { waitFor } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { Cluster, Counter, discoverAll, FAST, leadersConverged, T, votersAre } from '../test/fixtures.js';

describe('group status', () => {
  it('reports role, term, leader, indices, configuration and the machine description', async () => {
    await using c = new Cluster();
    const nodes = await c.addMany(3);
    await discoverAll(nodes);
    const machines = nodes.map(() => new Counter());
    const groups = nodes.map((n, i) =>
      n.groups.withKey('status').withStateMachine(machines[i]!).withConsensus(FAST).join(),
    );
    const leader = await leadersConverged(groups);
    await votersAre(groups, 3);
    const at = await groups[0]!.execute({ inc: 5 });
    await waitFor(() => groups.every((g) => g.status().applied >= at), { timeout: T });

    const statuses = groups.map((g) => g.status());
    const hex = leader.toString();
    expect(statuses.map((s) => s.role).sort()).toEqual(['follower', 'follower', 'leader']);
    expect(groups[statuses.findIndex((s) => s.role === 'leader')]!.peerId.equals(leader)).toBe(true);
    for (const s of statuses) {
      expect(s.leader).toBe(hex);
      expect(s.term).toBe(statuses[0]!.term);
      expect(s.term).toBeGreaterThan(0);
      expect(s.commit).toBeGreaterThanOrEqual(at);
      expect(s.lastIndex).toBeGreaterThanOrEqual(s.commit);
      expect([...s.voters].sort()).toEqual(nodes.map((n) => n.peerId.toString()).sort());
      expect(s.learners).toEqual([]);
      expect(s.observers).toEqual([]);
      expect(s.cluster).not.toBe('');
      expect(s.preference).toBe('normal');
      expect(s.machine).toEqual({ kind: 'counter', size: 5, version: 1 });
    }
    // Bonds carry when the peer was last heard: a live bond was heard within a few heartbeats.
    for (const g of groups)
      for (const b of g.bonds().list()) expect(Date.now() - b.lastReceivedAt).toBeLessThan(5_000);
  });
});
