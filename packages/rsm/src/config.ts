/**
 * Consensus parameters, their defaults, and the derivation of the group id.
 */
import { Digest, encodeCanonical, type GroupId } from '@mosaik/id';
import type { TicketValidator } from '@mosaik/tickets';
import type { GroupKey } from './key.js';
import type { LinkWrapper } from './link.js';

/** Tuning of one group. Durations are milliseconds. */
export interface ConsensusConfig {
  /** Length of one Raft tick. Default 100. */
  readonly tickInterval: number;
  /** Raft heartbeat period and bond ping period. Part of the group id. Default 500. */
  readonly heartbeatInterval: number;
  /** A bond that heard nothing for this many heartbeat periods is closed with `Timeout`. Part of the group id. Default 10. */
  readonly maxMissedHeartbeats: number;
  /** Minimum election timeout; the actual one is uniform in [t, 2t). Default 2000. */
  readonly electionTimeout: number;
  /** How long a fresh node waits for an existing cluster before one may be founded. Default 3000. */
  readonly bootstrapDelay: number;
  /**
   * How many members (observers not counted) must see each other, none of them in a cluster yet,
   * before a new cluster is founded; until then they wait, however long. Default 1: a member
   * alone founds after `bootstrapDelay`. Set it to the number of members you start together (as
   * Consul's `bootstrap_expect`) so that one started early, or cut off at start, cannot found a
   * cluster of its own whose writes would be discarded when it merges with the others'.
   * Only founding waits: later members join an existing cluster at once.
   */
  readonly bootstrapExpect: number;
  /** How long a follower waits for the leader to acknowledge forwarded commands. Default 2000. */
  readonly forwardTimeout: number;
  /** How long a strong query waits for its read index. Default 2000. */
  readonly queryTimeout: number;
  /** Upper bound on voters; the autopilot keeps the count odd. Part of the group id. Default 5. */
  readonly maxVoters: number;
  /** A member unreachable from the leader this long is removed from the configuration. Default 30 000. */
  readonly deadMemberTimeout: number;
  /** Take a snapshot after this many applied entries. Default 10 000. */
  readonly snapshotThreshold: number;
  /** Entries kept behind a snapshot for slightly lagging followers. Default 1 000. */
  readonly snapshotKeep: number;
  /**
   * Bytes per snapshot chunk sent to a follower (one chunk in flight, acknowledged before the
   * next). Small enough that a chunk never holds the bond's heartbeats back for long. Default 262 144.
   */
  readonly snapshotChunkSize: number;
  /**
   * With more learners than `maxVoters`, the leader's appends to them go through the voters (see
   * `relayPacedLearners` in `@mosaik/raft`): the leader sends each entry once per voter instead
   * of once per member, which is what bounds a wide group when every member has a machine of its
   * own. With every member on one machine, the total work is no smaller and the relay's own
   * messages come on top: turn it off there. A leader's local choice, not part of the group id;
   * every member must run a version that knows the relay's messages. Default true.
   */
  readonly relayLearners: boolean;
}

/** The defaults of {@link ConsensusConfig}. */
export const DEFAULT_CONSENSUS: ConsensusConfig = Object.freeze({
  tickInterval: 100,
  heartbeatInterval: 500,
  maxMissedHeartbeats: 10,
  electionTimeout: 2000,
  bootstrapDelay: 3000,
  bootstrapExpect: 1,
  forwardTimeout: 2000,
  queryTimeout: 2000,
  maxVoters: 5,
  deadMemberTimeout: 30_000,
  snapshotThreshold: 10_000,
  snapshotKeep: 1_000,
  snapshotChunkSize: 256 * 1024,
  relayLearners: true,
});

/** Configuration of the groups subsystem of one node. */
export interface GroupsConfig {
  /** Limit on each bond handshake step, both sides. Default 2000. */
  readonly handshakeTimeout: number;
  /**
   * Wraps every bond connection, dialed or accepted, before the handshake. For tests: a
   * `LinkFaults` wrapper from `@mosaik/rsm/testing` drops, delays or cuts bond traffic.
   */
  readonly wrapLink?: LinkWrapper | undefined;
}

/** Defaults of {@link GroupsConfig}. */
export const DEFAULT_GROUPS_CONFIG: GroupsConfig = Object.freeze({ handshakeTimeout: 2000 });

function positiveInt(name: string, v: number): number {
  if (!Number.isSafeInteger(v) || v <= 0)
    throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

/** Fills in defaults and checks the values. */
export function resolveConsensus(partial: Partial<ConsensusConfig> = {}): ConsensusConfig {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const c = { ...DEFAULT_CONSENSUS, ...defined } as ConsensusConfig;
  const { relayLearners, ...counts } = c;
  for (const [k, v] of Object.entries(counts)) positiveInt(k, v);
  if (typeof relayLearners !== 'boolean')
    throw new RangeError(`relayLearners must be a boolean, got ${String(relayLearners)}`);
  if (c.electionTimeout < 2 * c.tickInterval)
    throw new RangeError('electionTimeout must be at least 2 ticks');
  if (c.heartbeatInterval >= c.electionTimeout)
    throw new RangeError('heartbeatInterval must be below electionTimeout');
  return Object.freeze(c);
}

/** Raft tick counts derived from a config. */
export function ticksOf(c: ConsensusConfig): { electionTick: number; heartbeatTick: number } {
  const electionTick = Math.max(2, Math.round(c.electionTimeout / c.tickInterval));
  const heartbeatTick = Math.min(
    electionTick - 1,
    Math.max(1, Math.round(c.heartbeatInterval / c.tickInterval)),
  );
  return { electionTick, heartbeatTick };
}

/**
 * The digest of the parameters every member must share: the failure detector (heartbeat period
 * and missed beats, since both ends of a bond judge each other with them) and the voter bound
 * (the autopilot of any leader must aim at the same size). Timeouts that are local choices do
 * not split a group.
 */
export function consensusDigest(c: ConsensusConfig): Digest {
  return Digest.hash(
    encodeCanonical(['mosaik.rsm.consensus/1', c.heartbeatInterval, c.maxMissedHeartbeats, c.maxVoters]),
  );
}

/**
 * `GroupId = blake3(secret) → derive(consensus digest) → derive(state machine signature) →
 * derive(each validator signature, in order)`. Storage never takes part.
 */
export function deriveGroupId(
  key: GroupKey,
  consensus: ConsensusConfig,
  machineSignature: Digest,
  validators: readonly TicketValidator[],
): GroupId {
  let out = key.hashed().derive(consensusDigest(consensus)).derive(machineSignature);
  for (const v of validators) out = out.derive(v.signature);
  return out;
}
