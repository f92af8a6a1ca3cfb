/** Test fixtures: real nodes on 127.0.0.1 with discovery and groups, and a counter machine. */

import { createWriteStream } from 'node:fs';
import { Discovery, type DiscoveryConfig } from '@mosaik/discovery';
import { Digest, decodeCbor, encodeCbor, type PeerId, type SecretKey, waitFor } from '@mosaik/id';
import { createLogger, type LogLevel } from '@mosaik/metrics';
import { type EndpointAddr, LocalNode } from '@mosaik/transport';
import type { ConsensusConfig } from '../src/config.js';
import type { Group } from '../src/group.js';
import { Groups } from '../src/groups.js';
import type { ApplyContext, LeadershipPreference, StateMachine } from '../src/state-machine.js';
import type { LinkFaults } from '../src/testing/faults.js';

/** Short timeouts so the suite stays fast; every member of a test uses the same. */
export const FAST: Partial<ConsensusConfig> = {
  tickInterval: 20,
  heartbeatInterval: 60,
  maxMissedHeartbeats: 10,
  electionTimeout: 300,
  bootstrapDelay: 300,
  forwardTimeout: 1000,
  queryTimeout: 1000,
  deadMemberTimeout: 3000,
};

/** Election-scale deadline for `waitFor` (scaled by TIME_FACTOR inside waitFor). */
export const T = 8000;

const QUIET: Partial<DiscoveryConfig> = { announceIntervalMs: 600_000, rttProbeIntervalMs: 600_000 };
/**
 * Silent unless `MOSAIK_TEST_LOG` names a level; `MOSAIK_TEST_LOG_DIR` then sends the lines to a
 * file per test process there (for post-mortems of a full-suite run).
 */
const logger = createLogger({
  level: (process.env.MOSAIK_TEST_LOG ?? 'silent') as LogLevel,
  ...(process.env.MOSAIK_TEST_LOG_DIR === undefined
    ? {}
    : { destination: createWriteStream(`${process.env.MOSAIK_TEST_LOG_DIR}/rsm-${process.pid}.log`) }),
});

export type CounterCommand = { readonly inc: number } | { readonly dec: number };

/** The reference's test counter: `Increment(n)`/`Decrement(n)`, query → value; signature `fromU8(2)`. */
export class Counter implements StateMachine<CounterCommand, null, number> {
  readonly signature = Digest.fromU8(2);
  value = 0;
  /** Every index applied, to check exactly-once and order. */
  readonly indices: number[] = [];
  readonly leadershipPreference: LeadershipPreference | undefined;
  constructor(preference?: LeadershipPreference) {
    this.leadershipPreference = preference;
  }
  apply(cmd: CounterCommand, ctx: ApplyContext): void {
    this.value += 'inc' in cmd ? cmd.inc : -cmd.dec;
    this.indices.push(ctx.index);
  }
  query(): number {
    return this.value;
  }
  snapshot(): Uint8Array {
    return encodeCbor(this.value);
  }
  restore(bytes: Uint8Array): void {
    this.value = decodeCbor(bytes) as number;
  }
}

/** A key-value register machine (string values) for linearizability checks. */
export type KvCommand = { readonly put: string; readonly value: string };
export class Kv implements StateMachine<KvCommand, string, string | null> {
  readonly signature = Digest.from('rsm-test-kv');
  readonly map = new Map<string, string>();
  apply(cmd: KvCommand): void {
    this.map.set(cmd.put, cmd.value);
  }
  query(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  snapshot(): Uint8Array {
    return encodeCbor([...this.map.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
  restore(bytes: Uint8Array): void {
    this.map.clear();
    for (const [k, v] of decodeCbor(bytes) as [string, string][]) this.map.set(k, v);
  }
}

/** One test node: transport, discovery and groups. */
export interface TestNode {
  readonly node: LocalNode;
  readonly discovery: Discovery;
  readonly groups: Groups;
  readonly peerId: PeerId;
  addr(): EndpointAddr;
  close(): Promise<void>;
}

/** Nodes closed together at the end of a test (`await using`). */
export class Cluster implements AsyncDisposable {
  readonly nodes: TestNode[] = [];
  readonly network = `rsm-test-${Math.random()}`;
  readonly #faults: LinkFaults | undefined;

  /** @param options.faults - every node's bonds go through this fault injector */
  constructor(options: { faults?: LinkFaults } = {}) {
    this.#faults = options.faults;
  }

  async add(secretKey?: SecretKey): Promise<TestNode> {
    const node = await LocalNode.bind(this.network, {
      preset: 'local',
      logger,
      ...(secretKey === undefined ? {} : { secretKey }),
    });
    const discovery = await Discovery.start(node, QUIET);
    const groups = new Groups(node, discovery, {
      handshakeTimeout: 1000,
      wrapLink: this.#faults?.wrapper(node.peerId),
    });
    let closing: Promise<void> | undefined;
    const n: TestNode = {
      node,
      discovery,
      groups,
      peerId: node.peerId,
      addr: () => node.addr(),
      close: () => {
        closing ??= groups
          .close()
          .then(() => discovery.close())
          .then(() => node.close());
        return closing;
      },
    };
    this.nodes.push(n);
    return n;
  }

  async addMany(n: number): Promise<TestNode[]> {
    return Promise.all(Array.from({ length: n }, () => this.add()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.close()));
  }
}

/** A group of the {@link Counter} machine. */
export type CounterGroup = Group<CounterCommand, null, number>;

/** Every node joins the group `key` with a fresh {@link Counter}; machines and groups by node. */
export function joinCounters(
  nodes: readonly TestNode[],
  key: string,
  consensus: Partial<ConsensusConfig> = FAST,
): { machines: Counter[]; groups: CounterGroup[] } {
  const machines = nodes.map(() => new Counter());
  const groups = nodes.map((n, i) =>
    n.groups.withKey(key).withStateMachine(machines[i]!).withConsensus(consensus).join(),
  );
  return { machines, groups };
}

/** Every ordered pair syncs catalogs (the reference's `discover_all`). */
export async function discoverAll(nodes: readonly TestNode[]): Promise<void> {
  const jobs: Promise<void>[] = [];
  for (const a of nodes) for (const b of nodes) if (a !== b) jobs.push(a.discovery.syncWith(b.addr()));
  await Promise.all(jobs);
}

/** Waits until all groups agree on one leader; returns it. */
export async function leadersConverged(
  groups: readonly Group<unknown, unknown, unknown>[],
  timeout = T,
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
  timeout = T,
): Promise<void> {
  await waitFor(() => groups.every((g) => g.members().voters.length === voters), {
    timeout,
    interval: 20,
    message: () => `voters: ${groups.map((g) => g.members().voters.length).join(',')}`,
  });
}
