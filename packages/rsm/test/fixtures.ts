/** The rsm tests' preset of the workspace testkit: nodes run groups, with an optional fault injector. */
import { type CounterGroup, Cluster as TestCluster } from '@mosaik/testkit';
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

/** Each member's configuration as `<voters>v+<learners>l`, e.g. `5v+7l`. */
export function shapes(groups: readonly CounterGroup[]): string[] {
  return groups.map((g) => `${g.status().voters.length}v+${g.status().learners.length}l`);
}

/** The sorted peer ids (hex) the member `hex` of `groups` holds bonds with. */
export function bondedWith(groups: readonly CounterGroup[], hex: string): string[] {
  const group = groups.find((g) => g.peerId.toString() === hex);
  if (group === undefined) throw new Error(`no member ${hex} among the groups`);
  return group
    .bonds()
    .peers()
    .map((p) => p.toString())
    .sort();
}
