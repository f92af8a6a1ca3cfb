/**
 * @mosaik/discovery/testing: the gossip engine as a pure state machine (HyParView + Plumtree
 * behind `handle(input) → outputs`), its input/output/timer types, and the deterministic gossip
 * simulator with its broadcast scenario. Tests, benchmarks and simulations use these; a normal
 * user of `Discovery` does not need them.
 *
 * The gossip wire messages (`GossipMessage`, `MessageType`, `IHaveEntry`, `GossipPeerInfo`) are in
 * `@mosaik/discovery/wire`; the gossip configuration (`GossipConfig`, `DEFAULT_GOSSIP_CONFIG`)
 * stays in `@mosaik/discovery`.
 *
 * @packageDocumentation
 */
export { GossipEngine, type GossipEngineOptions } from './gossip/engine.js';
export type { GossipEnv, GossipInput, GossipOutput, GossipTimer } from './gossip/types.js';
export {
  type PhaseReport,
  runBroadcastScenario,
  type ScenarioOptions,
  type ScenarioReport,
} from './sim/scenario.js';
export { type Delivery, GossipSimulator, type SimCounters, type SimulatorOptions } from './sim/simulator.js';
