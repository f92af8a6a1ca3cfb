/**
 * Test tools of `@mosaik/rsm`: a fault-injecting wrapper for bond connections.
 *
 * @packageDocumentation
 */
export { type FaultStats, type LinkFault, LinkFaults } from './faults.js';
