/**
 * Distributed rate limiter on mosaik: HTTP gateways that share one token bucket per user, in
 * `strict` (a replicated token-bucket state machine), `gossip` (local decisions, counts
 * exchanged every 100 ms) or `lease` (chunks of tokens lent by the replicated budget) mode.
 *
 * @packageDocumentation
 */
export { formatAddr, parseAddr } from './addr.js';
export {
  type Bucket,
  type BucketConfig,
  checkBucketConfig,
  fullBucket,
  refill,
  type TakeResult,
  take,
  UNITS_PER_TOKEN,
} from './bucket.js';
export { createProgram, type ProgramIo } from './cli.js';
export {
  DEFAULT_NETWORK,
  GATEWAY_CONSENSUS,
  Gateway,
  type GatewayOptions,
  INSECURE_DEFAULT_KEY,
} from './gateway.js';
export { GossipLimiter, hitBatches } from './gossip.js';
export { GossipCore, type GossipTiming, type HitBatch } from './gossip-core.js';
export { createGatewayServer, type GatewayServerOptions, MAX_HEADER_BYTES, type Outcome } from './http.js';
export { LeaseLimiter, type LeaseOptions } from './lease.js';
export { type Decision, type Limiter, MODES, type Mode } from './limiter.js';
export { LocalLimiter } from './local.js';
export {
  type BucketView,
  type BudgetCommand,
  type BudgetConfig,
  BudgetMachine,
  type BudgetQuery,
  type Receipt,
} from './machine.js';
export { type BudgetGroup, StrictLimiter, type StrictOptions } from './strict.js';
