/**
 * Which entries learned by a catalog sync a node broadcasts on their peers' behalf (pure: time
 * and counts are passed in).
 *
 * A new run of a peer (a node that just started, or restarted with the same key) reaches the
 * gossip overlay through one contact. When a batch of nodes (a restarted process) all join
 * through the same seed, their Joins fill the seed's view with one another, and their own
 * broadcasts circle among them and the seed while the rest of the swarm learns them only sync by
 * sync: seconds at 40 nodes. Whoever learns such an entry by sync is usually outside that
 * cluster, and its broadcast of the entry reaches everyone within a few hops. The same signed
 * entry broadcast by several nodes is one message (ids are content hashes), so the relays cost
 * one spread; an older copy than a node holds is refused by its catalog.
 */

/** Limits of {@link entriesToRelay}. */
export interface RelayLimits {
  /** A run that started longer ago than this is no new run (the purge horizon). */
  readonly newRunMs: number;
  /** Most entries one sync's merge relays. */
  readonly maxPerSync: number;
}

/**
 * The entries of `discovered` (peers the catalog did not list before a sync's merge) to broadcast:
 * those of runs started within `newRunMs` and at least `newRunMs` after our own run, at most
 * `maxPerSync`. Runs that started about when we did are the swarm forming (every node learns
 * them by sync then, and relaying them all would multiply the broadcasts of a join storm). None
 * when the sync taught us at least as many peers as we knew before: then we are the newcomer, and
 * the swarm knows them.
 * @param known signed peers in the catalog after the merge
 * @param ourStartMs when our own run started
 */
export function entriesToRelay<T>(
  discovered: readonly T[],
  known: number,
  startMs: (entry: T) => number,
  now: number,
  ourStartMs: number,
  limits: RelayLimits,
): T[] {
  const knewBefore = known - discovered.length;
  if (knewBefore <= discovered.length) return [];
  return discovered
    .filter((e) => now - startMs(e) <= limits.newRunMs && startMs(e) - ourStartMs >= limits.newRunMs)
    .slice(0, limits.maxPerSync);
}
