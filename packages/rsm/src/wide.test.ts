/**
 * Wide groups over real QUIC: members beyond `maxVoters` are learners, bonded with every voter
 * (any of them may lead) and with no other learner.
 */
import { waitFor } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import {
  bondedWith,
  Cluster,
  discoverAll,
  FAST,
  joinCounters,
  leadersConverged,
  shapes,
  T,
} from '../test/fixtures.js';

describe('a group wider than its voters', () => {
  it('bonds learners with the voters only, and they still forward and apply', async () => {
    await using c = new Cluster();
    const nodes = await c.addMany(6);
    await discoverAll(nodes);
    const { machines, groups } = joinCounters(nodes, 'wide', { ...FAST, maxVoters: 3 });
    await leadersConverged(groups);
    await waitFor(() => shapes(groups).every((s) => s === '3v+3l'), {
      timeout: T,
      message: () => `configurations: ${shapes(groups).join(' ')}`,
    });
    const { voters, learners } = groups[0]!.status();
    const byId = (hex: string) => groups.find((g) => g.peerId.toString() === hex)!;
    const bonds = (hex: string) => bondedWith(groups, hex);
    // Voters keep a bond with everyone; a learner with the voters alone.
    const settled = () =>
      voters.every((v) => bonds(v).length === 5) &&
      learners.every((l) => JSON.stringify(bonds(l)) === JSON.stringify([...voters].sort()));
    await waitFor(settled, {
      timeout: T,
      message: () =>
        `bonds: ${[...voters, ...learners].map((id) => `${id.slice(0, 6)}→${bonds(id).map((p) => p.slice(0, 6))}`).join(' ')}`,
    });
    // A learner's write reaches the leader and every replica.
    await byId(learners[0]!).execute({ inc: 5 });
    await waitFor(() => machines.every((m) => m.value === 5), {
      timeout: T,
      message: () => `values: ${machines.map((m) => m.value).join(',')}`,
    });
    expect(groups.every((g) => g.status().voters.length === 3)).toBe(true);
  });
});
