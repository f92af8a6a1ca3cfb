/**
 * The workspace's one test harness. Every package's multi-node tests start their nodes, wait and
 * close through it, so that a fix to the harness (a close order, a deadline) lands everywhere.
 */
export {
  type CounterGroup,
  ELECTION_DEADLINE,
  FAST_CONSENSUS,
  joinCounters,
  leadersConverged,
  votersAre,
} from './consensus.js';
export { testLogger } from './log.js';
export { Counter, type CounterCommand, Kv, type KvCommand } from './machines.js';
export {
  Cluster,
  type ClusterOptions,
  converged,
  discoverAll,
  freshNetwork,
  metricValue,
  type NodeOptions,
  QUIET_DISCOVERY,
  startNode,
  type TestNode,
} from './nodes.js';
export { PretendMap } from './pretend-map.js';
export { collect, exited, freePort, freePorts, type Output, stop } from './process.js';
export { DEADLINE, staysFalse, until, within } from './time.js';
