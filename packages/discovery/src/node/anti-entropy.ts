/**
 * The pace of anti-entropy: how often a node syncs with one random catalog peer to repair what
 * gossip missed. Pure (time is passed in), so the policy is tested without a network.
 *
 * Gaps are likely while the membership changes (a join storm, a mass failure, a starved node):
 * then the node syncs about every second. In a quiet swarm they are rare, and each of these syncs
 * is a connection: at a fixed 5 s they were a third of what an idle node spent (100 idle nodes in
 * one process: 4.8 ms of CPU per node a second with them, 3.1 without). So the quiet period
 * starts at 5 s and grows with the time nothing happened, up to 40 s, and news brings it back at
 * once.
 */

/** Mean period while the membership is changing. */
export const ANTI_ENTROPY_SETTLING_MS = 1_000;
/** How long after the last membership change the swarm counts as changing. */
export const SETTLING_MS = 15_000;
/** Shortest mean period in a quiet swarm. */
export const ANTI_ENTROPY_MS = 5_000;
/** Longest mean period in a quiet swarm. */
export const ANTI_ENTROPY_MAX_MS = 40_000;

/** What the pace depends on, all in ms (times since the epoch). */
export interface AntiEntropyState {
  readonly now: number;
  /** When a peer last appeared in or left the catalog, or a gossip neighbour failed. */
  readonly membershipChangedAt: number;
  /** When a catalog sync last brought entries. */
  readonly syncNewsAt: number;
  /** The settling period for this host (longer on a host whose timers run late). */
  readonly settlingMs: number;
}

/**
 * The mean period now: `settlingMs` within {@link SETTLING_MS} of a membership change; else half
 * the time the swarm has been quiet (since it settled, or since a sync last brought entries),
 * within {@link ANTI_ENTROPY_MS} and {@link ANTI_ENTROPY_MAX_MS}. After a minute of quiet a node
 * syncs every 30 s or so, and from 80 s on every 40 s.
 */
export function antiEntropyMeanMs(s: AntiEntropyState): number {
  if (s.now - s.membershipChangedAt < SETTLING_MS) return s.settlingMs;
  const quietFor = s.now - Math.max(s.membershipChangedAt + SETTLING_MS, s.syncNewsAt);
  return Math.min(ANTI_ENTROPY_MAX_MS, Math.max(ANTI_ENTROPY_MS, quietFor / 2));
}

/**
 * Whether news should bring forward a tick due at `dueAt`: only when it is due later than a delay
 * drawn at the current pace can be (the mean plus half of it). A tick already due within that is
 * kept, so news arriving faster than the pace never keeps postponing it.
 */
export function bringForward(dueAt: number, now: number, meanMs: number): boolean {
  return dueAt - now > 1.5 * meanMs;
}
