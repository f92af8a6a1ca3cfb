/**
 * A crowd joins a formed group over real QUIC: nine members start at once beside three that
 * already form a group (heavy: twelve in-process nodes, its own later vitest group).
 */
import { waitFor } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import {
  bondedWith,
  Cluster,
  discoverAll,
  joinCounters,
  leadersConverged,
  shapes,
} from '../test/fixtures.js';

// Tolerant timings: twelve nodes share one process (and often a busy machine).
const CONSENSUS = {
  tickInterval: 20,
  heartbeatInterval: 100,
  electionTimeout: 1000,
  bootstrapDelay: 300,
  deadMemberTimeout: 30_000,
};
const DEADLINE = 60_000;

describe('a crowd joining at once (heavy)', () => {
  it('admits nine newcomers together: 5 voters, 7 learners bonded with the voters, all applying', async () => {
    await using c = new Cluster();
    const nodes = await c.addMany(12);
    await discoverAll(nodes);
    const first = joinCounters(nodes.slice(0, 3), 'crowd', CONSENSUS);
    await leadersConverged(first.groups, DEADLINE);
    await waitFor(() => first.groups.every((g) => g.status().voters.length === 3), {
      timeout: DEADLINE,
      message: () => 'the first three did not form',
    });

    const crowd = joinCounters(nodes.slice(3), 'crowd', CONSENSUS);
    const groups = [...first.groups, ...crowd.groups];
    const machines = [...first.machines, ...crowd.machines];
    await waitFor(() => shapes(groups).every((s) => s === '5v+7l'), {
      timeout: DEADLINE,
      message: () => `configurations: ${shapes(groups).join(' ')}`,
    });
    const leader = await leadersConverged(groups, DEADLINE);
    const { voters, learners } = groups[0]!.status();
    expect(voters).toContain(leader.toString());

    // Each learner ends up bonded with the voters alone.
    const bonds = (hex: string) => bondedWith(groups, hex);
    await waitFor(
      () => learners.every((l) => JSON.stringify(bonds(l)) === JSON.stringify([...voters].sort())),
      {
        timeout: DEADLINE,
        message: () =>
          `learners' bonds: ${learners.map((l) => `${l.slice(0, 6)}→${bonds(l).map((p) => p.slice(0, 6))}`).join(' ')}`,
      },
    );

    // A write through the last newcomer reaches every replica.
    await groups[groups.length - 1]!.execute({ inc: 5 });
    await waitFor(() => machines.every((m) => m.value === 5), {
      timeout: DEADLINE,
      message: () => `values: ${machines.map((m) => m.value).join(',')}`,
    });
  });
});
