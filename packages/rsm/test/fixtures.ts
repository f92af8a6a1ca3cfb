/** The rsm tests' preset of the workspace testkit: nodes run groups, with an optional fault injector. */
import { Cluster as TestCluster } from '@mosaik/testkit';
import type { LinkFaults } from '../src/testing/faults.js';

export {
  Counter,
  type CounterCommand,
  type CounterGroup,
  discoverAll,
  ELECTION_DEADLINE as T,
  FAST_CONSENSUS as FAST,
  joinCounters,
  Kv,
  type KvCommand,
  leadersConverged,
  staysFalse,
  type TestNode,
  votersAre,
  within,
} from '@mosaik/testkit';

/** Nodes running discovery and groups; every node's bonds go through `faults` when given. */
export class Cluster extends TestCluster {
  constructor(options: { faults?: LinkFaults } = {}) {
    const { faults } = options;
    super({
      prefix: 'rsm-test',
      node: { groups: faults === undefined ? true : (peer) => ({ wrapLink: faults.wrapper(peer) }) },
    });
  }
}
