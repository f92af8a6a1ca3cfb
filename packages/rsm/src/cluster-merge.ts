/**
 * Merging two clusters of one group (design §6) as pure decisions over what the bonded members
 * report. Clusters form side by side when the network was split at bootstrap; when their members
 * bond, the cluster with the higher committed index wins, ties go to the lower cluster id. The
 * losing cluster's members yield: they stop taking commands, wait until the winner's leader adds
 * them, and only then discard their state, so nothing is thrown away unless a winner takes the
 * member in.
 */
import type { PeerStatus } from './wire.js';

/** One member's report about its cluster (its own, or a bonded peer's status). */
export type ClusterReport = Pick<PeerStatus, 'cluster' | 'commit' | 'yield'>;

/** What the reports say about one cluster: its best commit and the clusters its members yield to. */
export interface ClusterView {
  readonly commit: number;
  readonly yields: ReadonlySet<string>;
}

/** Every cluster seen, by id. */
export type ClusterViews = ReadonlyMap<string, ClusterView>;

/** Whether cluster `a` (committed `ca`) wins a merge against `b` (`cb`): longer log, then lower id. */
export function beats(a: string, ca: number, b: string, cb: number): boolean {
  return ca > cb || (ca === cb && a < b);
}

/**
 * Folds reports into one view per cluster: the highest commit any of its members reported, and
 * every cluster some member of it yields to. Reports of no cluster (`''`) are ignored.
 */
export function clusterViews(reports: Iterable<ClusterReport>): ClusterViews {
  const view = new Map<string, { commit: number; yields: Set<string> }>();
  for (const r of reports) {
    if (r.cluster === '') continue;
    let v = view.get(r.cluster);
    if (v === undefined) {
      v = { commit: r.commit, yields: new Set() };
      view.set(r.cluster, v);
    }
    v.commit = Math.max(v.commit, r.commit);
    if (r.yield !== '') v.yields.add(r.yield);
  }
  return view;
}

/**
 * The cluster a fresh member should join: the one that wins against every other it sees, among
 * those not merging into another (whose leaders add nobody); when all are merging, the best of
 * them.
 */
export function bestCluster(view: ClusterViews): string | undefined {
  let best: string | undefined;
  for (const settled of [true, false]) {
    for (const [c, v] of view) {
      if (settled && v.yields.size > 0) continue;
      if (best === undefined || beats(c, v.commit, best, view.get(best)!.commit)) best = c;
    }
    if (best !== undefined) return best;
  }
  return best;
}

/**
 * The cluster `mine` must yield to, `''` when none. A decision, once some member of a cluster
 * made it, is adopted by the others and kept (a losing cluster's commit can still move by an
 * election's no-op; that must not flip the outcome), unless both clusters claim to yield to each
 * other, when the indices decide. Among several winners, the best one.
 */
export function mergeTarget(mine: string, view: ClusterViews): string {
  const me = view.get(mine);
  if (me === undefined) return '';
  let best: { c: string; commit: number } | undefined;
  for (const [c, v] of view) {
    if (c === mine) continue;
    const weYield = me.yields.has(c);
    const theyYield = v.yields.has(mine);
    const lose =
      weYield && !theyYield ? true : theyYield && !weYield ? false : beats(c, v.commit, mine, me.commit);
    if (lose && (best === undefined || beats(c, v.commit, best.c, best.commit)))
      best = { c, commit: v.commit };
  }
  return best?.c ?? '';
}

/**
 * What to do with a Raft batch tagged with cluster `from`: `accept` it (our cluster's), `adopt`
 * the cluster first (a fresh member's first batch from the best cluster it sees), `reset` to it
 * (we yield to `from`, whose leader has now added us), or `drop` it.
 */
export type RaftVerdict = 'accept' | 'adopt' | 'reset' | 'drop';

/** Inputs of {@link raftVerdict}; `view` is only computed when a fresh member needs it. */
export interface RaftVerdictInput {
  readonly from: string;
  readonly mine: string;
  readonly yieldTo: string;
  readonly view: () => ClusterViews;
}

/** Decides the fate of one Raft batch by its cluster tag (see {@link RaftVerdict}). */
export function raftVerdict(input: RaftVerdictInput): RaftVerdict {
  const { from, mine } = input;
  if (from === '') return 'drop';
  if (from === mine) return 'accept';
  if (mine === '') {
    const best = bestCluster(input.view());
    return best !== undefined && best !== from ? 'drop' : 'adopt';
  }
  return input.yieldTo === from ? 'reset' : 'drop';
}
