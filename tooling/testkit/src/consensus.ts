/** Groups in tests: fast timings, counters on many nodes, and waits on leaders and voters. */
import { type PeerId, waitFor } from '@mosaik/id';
import type { ConsensusConfig, Group } from '@mosaik/rsm';
import { Counter, type CounterCommand } from './machines.js';
import type { TestNode } from './nodes.js';

/** Short consensus timeouts so that suites stay fast; every member of a test uses the same. */
export const FAST_CONSENSUS: Partial<ConsensusConfig> = {
  tickInterval: 20,
  heartbeatInterval: 60,
  maxMissedHeartbeats: 10,
  electionTimeout: 300,
  bootstrapDelay: 300,
  forwardTimeout: 1000,
  queryTimeout: 1000,
  deadMemberTimeout: 3000,
};

/** An election-scale deadline for waits on groups, ms before scaling. */
export const ELECTION_DEADLINE = 8000;

/** A group of the {@link Counter} machine. */
export type CounterGroup = Group<CounterCommand, null, number>;

/** Every node joins the group `key` with a fresh {@link Counter}; returns machines and groups by node. */
export function joinCounters(
  nodes: readonly TestNode[],
  key: string,
  consensus: Partial<ConsensusConfig> = FAST_CONSENSUS,
): { machines: Counter[]; groups: CounterGroup[] } {
  const machines = nodes.map(() => new Counter());
  const groups = nodes.map((n, i) =>
    n.groups.withKey(key).withStateMachine(machines[i]!).withConsensus(consensus).join(),
  );
  return { machines, groups };
}

/** Waits until all groups agree on one leader; returns it. */
export async function leadersConverged(
  groups: readonly Group<unknown, unknown, unknown>[],
  timeout = ELECTION_DEADLINE,
): Promise<PeerId> {
  return waitFor(
    () => {
      const first = groups[0]?.leader();
      if (first === undefined) return undefined;
      return groups.every((g) => g.leader()?.equals(first)) ? first : undefined;
    },
    {
      timeout,
      interval: 20,
      message: () => `leaders: ${groups.map((g) => g.leader()?.short() ?? '-').join(',')}`,
    },
  );
}

/** Waits until every group has `voters` voters in its view of the configuration. */
export async function votersAre(
  groups: readonly Group<unknown, unknown, unknown>[],
  voters: number,
  timeout = ELECTION_DEADLINE,
): Promise<void> {
  await waitFor(() => groups.every((g) => g.members().voters.length === voters), {
    timeout,
    interval: 20,
    message: () => `voters: ${groups.map((g) => g.members().voters.length).join(',')}`,
  });
}
