/**
 * Test tools of `@mosaik/rsm`: a fault-injecting wrapper for bond connections, and a
 * deterministic simulator of whole groups on virtual time.
 *
 * @packageDocumentation
 */
export { type FaultStats, type LinkFault, LinkFaults } from './faults.js';
export {
  type GroupSimOptions,
  type GroupSimResult,
  simulateGroups,
  simulateWideJoin,
  type WideJoinOptions,
  type WideJoinResult,
} from './group-sim.js';
