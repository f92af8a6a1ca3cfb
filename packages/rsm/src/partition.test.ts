/**
 * Partitions and lossy links through the fault-injecting bond wrapper (`LinkFaults`): real QUIC
 * links underneath, frames dropped or held back above them.
 */
import { type PeerId, waitFor } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import {
  Cluster,
  type CounterGroup,
  discoverAll,
  FAST,
  joinCounters,
  leadersConverged,
  T,
  votersAre,
} from '../test/fixtures.js';
import { OfflineError } from './errors.js';
import { LinkFaults } from './testing/faults.js';

/** Waits until all `groups` follow one leader that is one of them; returns it. */
async function leaderAmong(groups: readonly CounterGroup[], timeout = T): Promise<PeerId> {
  return waitFor(
    () => {
      const l = groups[0]!.leader();
      if (l === undefined || !groups.some((g) => g.peerId.equals(l))) return undefined;
      return groups.every((g) => g.leader()?.equals(l)) ? l : undefined;
    },
    {
      timeout,
      interval: 20,
      message: () => `leaders: ${groups.map((g) => g.leader()?.short() ?? '-').join(',')}`,
    },
  );
}

/**
 * Executes `command` on the member `pick()` names, again after each `OfflineError` (a forward
 * lost to an election or a merge), until one attempt is taken. A refused forward may still have
 * committed, so the command can apply more than once.
 */
async function executeUntilTaken(
  pick: () => CounterGroup,
  command: { inc: number },
  message: string,
): Promise<void> {
  await waitFor(
    async () => {
      try {
        await pick().execute(command);
        return true;
      } catch (error) {
        if (!(error instanceof OfflineError)) throw error;
        return false;
      }
    },
    { timeout: T, interval: 50, message },
  );
}

function window(ms: number): Promise<void> {
  // Asserting that something does NOT happen needs a bounded observation window.
  return new Promise((r) => setTimeout(r, ms));
}

describe('partitions', () => {
  it('a minority side cannot commit; after healing everyone converges', async () => {
    const faults = new LinkFaults();
    await using c = new Cluster({ faults });
    const nodes = await c.addMany(5);
    await discoverAll(nodes);
    // A long dead-member timeout keeps all five voters through the partition.
    const config = { ...FAST, deadMemberTimeout: 600_000 };
    const { machines, groups } = joinCounters(nodes, 'partition', config);
    await leadersConverged(groups);
    await votersAre(groups, 5);
    // Members that founded apart while forming may merge (a reset) even after their leaders
    // agreed: a command forwarded across that is refused and retried, and the leader is read
    // once the first command is in.
    await executeUntilTaken(() => groups[0]!, { inc: 1 }, 'the first command never committed');
    const leader = await leadersConverged(groups);
    const first = Math.max(...groups.map((g) => g.committed()));
    await waitFor(() => groups.every((g) => g.committed() >= first), { timeout: T });
    await waitFor(() => machines.every((m) => m.value === machines[0]!.value), { timeout: T });
    // 1, or 2 when a refused forward of the first command committed as well.
    const before = machines[0]!.value;
    // What the partition must not cause is another reset.
    const resetsBefore = groups.map((g) => g.lastReset());

    // The leader and one follower end up on the minority side.
    const li = groups.findIndex((g) => g.peerId.equals(leader));
    const minority = [groups[li]!, groups[(li + 1) % 5]!];
    const majority = groups.filter((g) => !minority.includes(g));
    faults.partition(
      minority.map((g) => g.peerId),
      majority.map((g) => g.peerId),
    );
    const frozen = minority.map((g) => g.committed());
    // The old leader takes a command it can never commit.
    const lost = minority[0]!.execute({ inc: 1000 }).then(
      () => 'committed',
      (error: unknown) => error,
    );

    // The majority elects one of its own and keeps committing.
    const newLeader = await leaderAmong(majority);
    expect(newLeader.equals(leader)).toBe(false);
    const during = await majority[2]!.executeMany([{ inc: 10 }, { inc: 10 }]);
    await waitFor(() => majority.every((g) => g.committed() >= during.last), { timeout: T });
    // The minority never commits: not the old leader's command, not the majority's.
    await window(1000);
    expect(minority.map((g) => g.committed())).toEqual(frozen);
    for (const m of [machines[li]!, machines[(li + 1) % 5]!]) expect(m.value).toBe(before);
    await expect(minority[1]!.execute({ inc: 5000 })).rejects.toBeInstanceOf(OfflineError);
    expect(faults.stats.dropped).toBeGreaterThan(0);

    faults.heal();

    const final = await leadersConverged(groups, 2 * T);
    expect(minority.some((g) => g.peerId.equals(final))).toBe(false);
    const after = await minority[0]!.execute({ inc: 100 });
    await waitFor(() => groups.every((g) => g.committed() >= after), {
      timeout: T,
      message: () => `committed ${groups.map((g) => g.committed()).join(',')} of ${after}`,
    });
    // Everyone has exactly the majority's history: the minority's command was overwritten.
    for (const m of machines) expect(m.value).toBe(before + 120);
    expect(await waitFor(lost, { timeout: T })).toBeInstanceOf(OfflineError);
    expect(groups.map((g) => g.lastReset())).toEqual(resetsBefore);
    await votersAre(groups, 5);
  });

  it('a lossy, slow network still commits every command, in order, on every member', async () => {
    const faults = new LinkFaults();
    await using c = new Cluster({ faults });
    const nodes = await c.addMany(3);
    await discoverAll(nodes);
    const { machines, groups } = joinCounters(nodes, 'lossy');
    await leadersConverged(groups);
    await votersAre(groups, 3);
    for (const a of nodes)
      for (const b of nodes) if (a !== b) faults.set(a.peerId, b.peerId, { drop: 0.1, delay: 15 });

    let sum = 0;
    for (let i = 1; i <= 30; i++) {
      // Forwards and elections may fail on this network: retry until one member takes it.
      await executeUntilTaken(
        () => groups.find((x) => x.isLeader()) ?? groups[i % 3]!,
        { inc: i },
        `command ${i} never committed`,
      );
      sum += i;
    }
    expect(faults.stats.dropped).toBeGreaterThan(0);
    expect(faults.stats.delayed).toBeGreaterThan(0);
    const last = Math.max(...groups.map((g) => g.committed()));
    await waitFor(() => groups.every((g) => g.committed() >= last), { timeout: T });
    // Retries may commit a command twice (an OfflineError forward can still commit), never lose one.
    for (const m of machines) expect(m.value).toBe(machines[0]!.value);
    expect(machines[0]!.value).toBeGreaterThanOrEqual(sum);
    for (const m of machines) expect(m.indices).toEqual(machines[0]!.indices);
  });
});
