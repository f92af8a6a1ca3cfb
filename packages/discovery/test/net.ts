/** The discovery tests' preset of the workspace testkit: nodes run discovery only. */
import type { NetworkId } from '@mosaik/id';
import { type NodeOptions, Cluster as TestCluster, type TestNode } from '@mosaik/testkit';
import type { DiscoveryConfig } from '../src/node/config.js';

export { converged, discoverAll, QUIET_DISCOVERY as QUIET, type TestNode } from '@mosaik/testkit';

/** Nodes closed together; discovery tests pick each node's network, as they mix networks. */
export class Cluster extends TestCluster {
  constructor() {
    super({ prefix: 'discovery-test' });
  }

  /** Starts a node on `network` with discovery settings over the quiet defaults. */
  addOn(
    network: NetworkId | string,
    config: Partial<DiscoveryConfig> = {},
    options: NodeOptions = {},
  ): Promise<TestNode> {
    return this.add({ ...options, network, discovery: config });
  }
}

/**
 * Heartbeat and purge timing of the 30-node swarm tests that run every node in one process:
 * heartbeats every 2 s, purge after 8 s. The nodes share one JS thread, and at 1 s heartbeats
 * the swarm alone kept that thread 65–100 % busy on a 2-core machine, so those tests measured
 * how the harness copes with saturation more than discovery's own logic.
 */
export const SWARM_TIMING = { purgeAfterMs: 8_000, announceIntervalMs: 2_000, announceJitter: 0.2 } as const;
