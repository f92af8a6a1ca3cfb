/** Test fixtures: real nodes on 127.0.0.1 (transport, discovery, groups) to open collections on. */
import { Discovery, type DiscoveryConfig } from '@mosaik/discovery';
import { type SecretKey, scaled, waitFor } from '@mosaik/id';
import { createLogger, type LogLevel } from '@mosaik/metrics';
import { type ConsensusConfig, Groups } from '@mosaik/rsm';
import { LocalNode } from '@mosaik/transport';
import { afterAll, beforeAll } from 'vitest';
import type { CollectionNetwork } from '../src/define.js';

/** Short consensus timeouts so the suite stays fast; every member of a test uses the same. */
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

/** Election-scale deadline for `waitFor` (scaled by TIME_FACTOR inside it). */
export const T = 10_000;

const QUIET: Partial<DiscoveryConfig> = { announceIntervalMs: 600_000, rttProbeIntervalMs: 600_000 };
const logger = createLogger({ level: (process.env.MOSAIK_TEST_LOG ?? 'silent') as LogLevel });

/** One test node: what `Def.writer(net)` needs, plus the parts to close. */
export interface TestNode extends CollectionNetwork {
  readonly node: LocalNode;
  readonly discovery: Discovery;
  close(): Promise<void>;
}

/** Nodes of one test network, closed together. */
export class Cluster implements AsyncDisposable {
  readonly nodes: TestNode[] = [];
  readonly network = `collections-test-${Math.random()}`;

  /**
   * A new node that knows every other node (and they it), or, `isolated`, none yet: isolated
   * nodes found clusters of their own until `discoverAll()` (how a partition at start-up looks).
   */
  async add(secretKey?: SecretKey, options: { isolated?: boolean } = {}): Promise<TestNode> {
    const node = await LocalNode.bind(this.network, {
      preset: 'local',
      logger,
      ...(secretKey === undefined ? {} : { secretKey }),
    });
    const discovery = await Discovery.start(node, QUIET);
    const groups = new Groups(node, discovery, { handshakeTimeout: 1000 });
    let closing: Promise<void> | undefined;
    const n: TestNode = {
      node,
      discovery,
      groups,
      close: () => {
        closing ??= groups
          .close()
          .then(() => discovery.close())
          .then(() => node.close());
        return closing;
      },
    };
    // Everyone knows everyone (the original's `discover_all`), also the nodes added later.
    await Promise.all(
      this.nodes
        .filter((o) => !o.node.isClosed && options.isolated !== true)
        .map((o) => Promise.all([discovery.syncWith(o.node.addr()), o.discovery.syncWith(node.addr())])),
    );
    this.nodes.push(n);
    return n;
  }

  async addMany(n: number): Promise<TestNode[]> {
    const out: TestNode[] = [];
    for (let i = 0; i < n; i++) out.push(await this.add());
    return out;
  }

  /** Every ordered pair syncs catalogs again (after tickets changed). */
  async discoverAll(): Promise<void> {
    const jobs: Promise<void>[] = [];
    const live = this.nodes.filter((o) => !o.node.isClosed);
    for (const a of live) for (const b of live) if (a !== b) jobs.push(a.discovery.syncWith(b.node.addr()));
    await Promise.all(jobs);
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.close()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The nodes of one cluster (three, or `count`), shared by the tests of one file. */
export interface SharedNodes {
  readonly cluster: Cluster;
  readonly n0: TestNode;
  readonly n1: TestNode;
  readonly n2: TestNode;
  /** Only with `count` 4 or more. */
  readonly n3: TestNode;
}

/**
 * Registers hooks that start `count` (default three) nodes before the file's tests (then run `setup`, e.g. to hand
 * out tickets) and close them after. The nodes exist only once `beforeAll` ran: read them in tests.
 */
export function sharedNodes(setup?: (nodes: SharedNodes) => Promise<void>, count = 3): SharedNodes {
  const cluster = new Cluster();
  let started: TestNode[] | undefined;
  const node = (i: number): TestNode => {
    const n = started?.[i];
    if (n === undefined) throw new Error('the shared test nodes start in beforeAll: read them inside a test');
    return n;
  };
  const nodes: SharedNodes = {
    cluster,
    get n0() {
      return node(0);
    },
    get n1() {
      return node(1);
    },
    get n2() {
      return node(2);
    },
    get n3() {
      return node(3);
    },
  };
  beforeAll(async () => {
    started = await cluster.addMany(count);
    await setup?.(nodes);
  });
  afterAll(() => cluster.close());
  return nodes;
}

/** A unique collection name per test (a fresh store id). */
export function storeName(what: string): string {
  return `${what}-${Math.random().toString(36).slice(2)}`;
}

/** A deadline signal for one wait (scaled by TIME_FACTOR). */
export function within(ms = T): { signal: AbortSignal } {
  return { signal: AbortSignal.timeout(scaled(ms)) };
}

/** Waits until `probe` holds, with an explanation on timeout. */
export function until<T>(probe: () => T, message: string | (() => string), timeout = T) {
  return waitFor(probe, { timeout, interval: 10, message });
}
