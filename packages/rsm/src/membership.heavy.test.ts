/**
 * Membership at scale: nine in-process members (heavy: its own later vitest group, see
 * `vitest.heavy.config.ts`).
 */
import { waitFor } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { Cluster, discoverAll, FAST, leadersConverged } from '../test/fixtures.js';
import type { Group } from './group.js';

const SCALE = 20_000;

function sizes(groups: readonly Group<unknown, unknown, unknown>[]): string {
  return groups.map((g) => `${g.members().voters.length}/${g.members().learners.length}`).join(' ');
}

describe('membership (heavy)', () => {
  it('the group stays at 5 voters when 9 members join, and refills voters from learners when voters leave', async () => {
    await using c = new Cluster();
    const nodes = await c.addMany(9);
    await discoverAll(nodes);
    const groups = nodes.map((n) => n.groups.withKey('nine').withConsensus(FAST).join());
    const leader = await leadersConverged(groups, SCALE);
    await waitFor(
      () => groups.every((g) => g.members().voters.length === 5 && g.members().learners.length === 4),
      { timeout: SCALE, message: () => sizes(groups) },
    );
    const conf = groups[0]!.members();
    expect(conf.voters).toContain(leader.toString());
    expect(new Set([...conf.voters, ...conf.learners]).size).toBe(9);

    // Two voters (not the leader) leave: learners take their seats, still 5 voters.
    const leaving = groups.filter(
      (g) => conf.voters.includes(g.peerId.toString()) && !g.peerId.equals(leader),
    );
    await Promise.all(leaving.slice(0, 2).map((g) => g.close()));
    const staying = groups.filter((g) => !g.isClosed);
    expect(staying).toHaveLength(7);
    await waitFor(
      () => staying.every((g) => g.members().voters.length === 5 && g.members().learners.length === 2),
      { timeout: SCALE, message: () => sizes(staying) },
    );
    await leadersConverged(staying, SCALE);
  });
});
