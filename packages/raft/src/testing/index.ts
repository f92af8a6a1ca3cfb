/**
 * @mosaik/raft/testing: the deterministic cluster simulator, a synchronous test harness, the
 * key-value workload and the linearizability checker.
 */
export { Harness, type HarnessNode } from './harness.js';
export {
  decodeKvCommand,
  encodeKvCommand,
  type KvCommand,
  type KvInput,
  type KvOutput,
  KvStateMachine,
  kvModel,
} from './kv.js';
export { type CheckResult, checkOperations, type Model, type Operation } from './linearizability.js';
export { type NetworkFaults, SimNetwork } from './network.js';
export { type SimOptions, type SimResult, simulate } from './simulator.js';
