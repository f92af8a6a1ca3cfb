/** Helpers of the network tests: real QUIC endpoints on 127.0.0.1 (preset `local`). */
import { type NetworkId, waitFor } from '@mosaik/id';
import { LocalNode } from '@mosaik/transport';
import type { DiscoveryConfig } from '../src/node/config.js';
import { Discovery } from '../src/node/discovery.js';

export interface TestNode {
  readonly node: LocalNode;
  readonly discovery: Discovery;
  /** Graceful: departure, then the node. Idempotent. */
  close(): Promise<void>;
}

/** Quiet defaults for tests: no periodic probes or heartbeats unless a test asks. */
export const QUIET: Partial<DiscoveryConfig> = {
  announceIntervalMs: 600_000,
  rttProbeIntervalMs: 600_000,
};

export async function startNode(
  network: NetworkId | string,
  config: Partial<DiscoveryConfig> = {},
): Promise<TestNode> {
  const node = await LocalNode.bind(network, { preset: 'local' });
  const discovery = await Discovery.start(node, { ...QUIET, ...config });
  let closing: Promise<void> | undefined;
  return {
    node,
    discovery,
    close: () => {
      closing ??= discovery.close().then(() => node.close());
      return closing;
    },
  };
}

/** A set of nodes closed together (await using). */
export class Cluster implements AsyncDisposable {
  readonly nodes: TestNode[] = [];

  async add(network: NetworkId | string, config: Partial<DiscoveryConfig> = {}): Promise<TestNode> {
    const n = await startNode(network, config);
    this.nodes.push(n);
    return n;
  }

  at(i: number): TestNode {
    const n = this.nodes[i];
    if (n === undefined) throw new Error(`no node ${i}`);
    return n;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.close()));
  }
}

/** `sync_with` for every ordered pair, concurrently (the reference's `discover_all`). */
export async function discoverAll(nodes: readonly TestNode[]): Promise<void> {
  const jobs: Promise<void>[] = [];
  for (const a of nodes) for (const b of nodes) if (a !== b) jobs.push(a.discovery.syncWith(b.node.addr()));
  await Promise.all(jobs);
}

/** Waits until every node holds `count` signed peers. */
export async function converged(nodes: readonly TestNode[], count: number, timeout = 10_000): Promise<void> {
  await waitFor(() => nodes.every((n) => n.discovery.catalog().signedPeersCount() === count), {
    timeout,
    interval: 50,
    message: () =>
      `not converged to ${count}: ${nodes.map((n) => n.discovery.catalog().signedPeersCount()).join(',')}`,
  });
}
