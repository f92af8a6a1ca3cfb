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
