/**
 * When a gossip neighbour counts as failed: a pure policy over what the announce adapter knows of
 * each neighbour (when a frame last came from it, whether a liveness probe is out, when it last
 * answered one). Time is passed in, so the policy is tested without a network.
 *
 * A process killed without closing its connections keeps its active-view slots until QUIC's idle
 * timeout (about 30 s). A neighbour silent for several heartbeat gaps is dropped long before
 * that, unless every neighbour is silent: that looks like our own process starving (or our
 * network gone), and dropping them all would only add rejoin handshakes to the load. But it is
 * also what a node sees whose every neighbour died in the same crash, and such a node stayed cut
 * off from the swarm until the idle timeout, missing every heartbeat and missed by everyone. So
 * then each silent neighbour is probed, on a connection of its own: a live one answers (our own
 * process is merely slow), a dead one does not and is dropped.
 */

/** What the adapter knows of one neighbour. */
export interface NeighbourState {
  /** When a frame last came from the neighbour (or its link opened), ms. */
  readonly lastHeard: number;
  /** When the neighbour last answered a probe, ms (`undefined`: never). */
  readonly lastAnswered?: number | undefined;
  /** A probe is out and has not ended yet. */
  readonly probing: boolean;
}

/** What to do with the neighbours now. */
export interface LivenessVerdict<K> {
  /** Neighbours to probe now. */
  readonly probe: K[];
  /** Neighbours to drop now (HyParView replaces them from its backups). */
  readonly drop: K[];
}

/**
 * How long to wait for a probe's answer: half the silence limit, at least 1 s, at most 5 s. A
 * ping needs a connection handshake, which takes seconds on a starved machine.
 */
export function probeTimeoutMs(silentMs: number): number {
  return Math.min(5_000, Math.max(1_000, silentMs / 2));
}

/**
 * Judges every neighbour at `now`: one silent for longer than `silentMs` is dropped, unless every
 * neighbour is; then each is probed instead (unless a probe is out or it answered one within
 * `silentMs`). Probe failures are judged by {@link probeFailed}.
 */
export function judgeNeighbours<K>(
  neighbours: ReadonlyMap<K, NeighbourState>,
  now: number,
  silentMs: number,
): LivenessVerdict<K> {
  const silent: K[] = [];
  for (const [key, s] of neighbours) if (now - s.lastHeard > silentMs) silent.push(key);
  if (silent.length < neighbours.size) return { probe: [], drop: silent };
  const probe = silent.filter((key) => {
    const s = neighbours.get(key) as NeighbourState;
    return !s.probing && (s.lastAnswered === undefined || now - s.lastAnswered > silentMs);
  });
  return { probe, drop: [] };
}

/**
 * A probe ended without an answer: the neighbour failed unless a frame came from it after the
 * probe went out (its link works again; the probe itself may have lost a race).
 */
export function probeFailed(state: NeighbourState, probeSentAt: number): boolean {
  return state.lastHeard <= probeSentAt;
}
