import { waitFor } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { Cluster, Counter, discoverAll, FAST, leadersConverged, T, votersAre } from '../test/fixtures.js';

describe('group', () => {
  it('3 nodes form a group and replicate a counter', async () => {
    await using c = new Cluster();
    const nodes = await c.addMany(3);
    await discoverAll(nodes);
    const machines = nodes.map(() => new Counter());
    const groups = nodes.map((n, i) =>
      n.groups.withKey('counter').withStateMachine(machines[i]!).withConsensus(FAST).join(),
    );
    const leader = await leadersConverged(groups);
    await votersAre(groups, 3);
    const follower = groups.find((g) => !g.peerId.equals(leader))!;
    const i1 = await follower.execute({ inc: 3 });
    const range = await follower.executeMany([{ inc: 4 }, { dec: 2 }]);
    expect(range.first).toBe(i1 + 1);
    expect(range.last).toBe(i1 + 2);
    await waitFor(() => groups.every((g) => g.committed() >= range.last), { timeout: T });
    for (const m of machines) expect(m.value).toBe(5);
    expect((await follower.query(null, 'weak')).result).toBe(5);
  });
});
