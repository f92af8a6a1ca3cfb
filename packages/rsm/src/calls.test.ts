import { MosaikError, waitFor } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { Cluster, Counter, discoverAll, FAST, joinCounters, leadersConverged, T } from '../test/fixtures.js';
import { OfflineError } from './errors.js';

describe('group calls', () => {
  it('execute and strong query before the group is online say so and point at when.online()', async () => {
    await using c = new Cluster();
    const node = await c.add();
    // A long bootstrap delay keeps the lone member without a leader for the whole test.
    const group = node.groups
      .withKey('calls-not-online')
      .withStateMachine(new Counter())
      .withConsensus({ ...FAST, bootstrapDelay: 60_000 })
      .join();
    await expect(group.when.online(AbortSignal.abort(new Error('not yet')))).rejects.toThrow('not yet');
    const executed = await group.execute({ inc: 1 }).catch((e: unknown) => e);
    expect(executed).toBeInstanceOf(OfflineError);
    expect(MosaikError.is(executed, 'offline')).toBe(true);
    expect((executed as Error).message).toMatch(
      /is not online yet \(no leader known\).*await group\.when\.online\(\)/,
    );
    const queried = await group.query(null, 'strong').catch((e: unknown) => e);
    expect(queried).toBeInstanceOf(OfflineError);
    expect((queried as Error).message).toContain('await group.when.online()');
    // A weak query reads local state and needs no leader.
    expect((await group.query(null, 'weak')).result).toBe(0);
  });

  it('execute and query take a signal: an aborted wait rejects with its reason', async () => {
    await using c = new Cluster();
    const nodes = await c.addMany(2);
    await discoverAll(nodes);
    const { groups, machines } = joinCounters(nodes, 'calls-abort');
    const leaderId = await leadersConverged(groups);
    await Promise.all(groups.map((g) => g.when.online()));
    const leader = groups.find((g) => g.peerId.equals(leaderId))!;
    const follower = groups.find((g) => !g.peerId.equals(leaderId))!;

    // Already aborted: nothing is sent.
    const reason = new Error('caller gave up');
    await expect(leader.execute({ inc: 100 }, { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    await expect(follower.query(null, 'strong', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);

    // Aborted in flight: the wait ends at once; the command, already proposed, still commits.
    const controller = new AbortController();
    const executing = leader.execute({ inc: 1 }, { signal: controller.signal });
    const querying = follower.query(null, 'strong', { signal: controller.signal });
    controller.abort(reason);
    await expect(executing).rejects.toBe(reason);
    await expect(querying).rejects.toBe(reason);
    await waitFor(() => machines.every((m) => m.value === 1), {
      timeout: T,
      message: 'the proposed command committed',
    });

    // With a signal that never aborts, calls work as before.
    const live = new AbortController();
    const index = await follower.execute({ inc: 2 }, { signal: live.signal });
    const { result, at } = await follower.query(null, 'strong', { signal: live.signal });
    expect(result).toBe(3);
    expect(at).toBeGreaterThanOrEqual(index);
  });
});
