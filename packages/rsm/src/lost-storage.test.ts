/**
 * A member that comes back under the same peer id without its log (memory storage after a
 * crash whose `Departure` never arrived): it no longer holds entries it acknowledged, so it may
 * not vote as the member it was. The leader demotes it, admits its new life, and promotes it
 * again once it holds the log.
 */
import { waitFor } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import {
  Cluster,
  Counter,
  discoverAll,
  FAST,
  joinCounters,
  leadersConverged,
  T,
  votersAre,
} from '../test/fixtures.js';
import { LinkFaults } from './testing/faults.js';

describe('a member back without its log', () => {
  it('is demoted, admitted in its new life, and promoted again with the whole state', async () => {
    const faults = new LinkFaults();
    await using c = new Cluster({ faults });
    const nodes = await c.addMany(3);
    await discoverAll(nodes);
    // Nobody is replaced as dead meanwhile: the member comes back before that.
    const consensus = { ...FAST, deadMemberTimeout: 600_000 };
    const { groups, machines } = joinCounters(nodes, 'lost-log', consensus);
    const lead = await leadersConverged(groups);
    await votersAre(groups, 3);
    const leader = groups.find((g) => g.peerId.equals(lead))!;
    const victim = groups.findIndex((g) => !g.peerId.equals(lead));
    const lost = nodes[victim]!;
    // Acknowledged by every member, the victim included.
    for (let i = 0; i < 3; i++) await leader.execute({ inc: 1 });
    await waitFor(() => machines[victim]!.value === 3, { timeout: T, message: 'victim behind' });

    // The crash: cut off first, so its departure is lost.
    for (const other of nodes) {
      if (other === lost) continue;
      faults.set(lost.peerId, other.peerId, { cut: true });
      faults.set(other.peerId, lost.peerId, { cut: true });
    }
    await lost.close();
    faults.heal();
    for (let i = 0; i < 2; i++) await leader.execute({ inc: 1 });

    const back = await c.add(lost.node.secretKey);
    await discoverAll([...nodes.filter((n) => n !== lost), back]);
    const machine = new Counter();
    const again = back.groups.withKey('lost-log').withStateMachine(machine).withConsensus(consensus).join();
    const id = back.peerId.toString();
    await waitFor(() => leader.members().learners.includes(id), {
      timeout: T,
      interval: 5,
      message: () => `never demoted: ${JSON.stringify(leader.members())}`,
    });
    await waitFor(() => leader.members().voters.includes(id) && machine.value === 5, {
      timeout: T,
      message: () =>
        `not promoted with the state: ${JSON.stringify(leader.members())}, value ${machine.value}`,
    });
    const next = await waitFor(again.execute({ inc: 1 }), {
      timeout: T,
      message: 'execute after coming back',
    });
    await waitFor(() => leader.committed() >= next, { timeout: T, message: 'leader behind' });
    expect((await leader.query(null)).result).toBe(6);
  });
});
