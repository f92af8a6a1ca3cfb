/**
 * The membership autopilot (which members vote, which only learn, who is removed), as pure decisions the leader applies one at a time
 * through `proposeConfChange` (single-server changes, each committed before the next; newcomers
 * join as learners in one batch).
 */
import type { ConfChange, ConfState, NodeId } from '@mosaik/raft';

/** What the leader knows about one member candidate. */
export interface MemberView {
  readonly id: NodeId;
  /** Currently bonded with the leader (or the leader itself). */
  readonly reachable: boolean;
  /** Milliseconds since it was last reachable (0 when reachable). */
  readonly unreachableFor: number;
  /** It announced its departure. */
  readonly departed: boolean;
  /** 0 normal, 1 reluctant, 2 observer; `undefined` while unknown (treated as not promotable). */
  readonly pref: 0 | 1 | 2 | undefined;
  /** Its replication progress (leader's match index); 0 when unknown. */
  readonly match: number;
  /**
   * It belongs to our cluster, to none yet, or its cluster lost a merge to ours (members of
   * another cluster are never added otherwise).
   */
  readonly joinable: boolean;
  /** It reports another cluster (and does not yield to ours): it left, or never was ours. */
  readonly foreign?: boolean;
  /**
   * It is in the configuration but reports a life of its storage the configuration did not
   * admit: it came back under the same id without the log it had (see admissions.ts).
   */
  readonly backWithoutLog?: boolean;
}

/** Inputs of {@link nextChange}. */
export interface AutopilotInput {
  readonly self: NodeId;
  readonly conf: ConfState;
  readonly commit: number;
  readonly members: ReadonlyMap<NodeId, MemberView>;
  readonly maxVoters: number;
  readonly deadMemberTimeout: number;
}

/** The largest odd number ≤ n (at least 1). */
export function oddFloor(n: number): number {
  if (n <= 1) return 1;
  return n % 2 === 1 ? n : n - 1;
}

/**
 * The next membership change, or `undefined` when the configuration is where it should be.
 * Order of concerns: members back without their log stop voting (a learner is removed, to be
 * added again), drop members that left, joined another cluster or are dead, demote observers,
 * add new members as learners, promote caught-up learners up to the (odd) target, demote surplus
 * voters.
 */
export function nextChange(input: AutopilotInput): ConfChange | undefined {
  const { self, conf, members } = input;
  const view = (id: NodeId) => members.get(id);
  const inConf = new Set([...conf.voters, ...conf.learners]);

  // 0. A voter back without its log no longer counts for the quorum (it acknowledged entries it
  // lost). The demotion that admits its new life is proposed with that life (see the group).
  for (const id of [...conf.voters, ...conf.learners]) {
    if (id === self || view(id)?.backWithoutLog !== true) continue;
    return conf.voters.includes(id) ? { type: 'add-learner', node: id } : { type: 'remove', node: id };
  }

  // 1. Departed, foreign or long-unreachable members leave the configuration (never the leader itself).
  for (const id of [...conf.voters, ...conf.learners]) {
    if (id === self) continue;
    const m = view(id);
    if (m === undefined) continue; // never heard of it since we lead: give it the timeout too
    if (m.departed || m.foreign === true || (!m.reachable && m.unreachableFor >= input.deadMemberTimeout)) {
      return { type: 'remove', node: id };
    }
  }

  // 2. A voter that turned out to be an observer becomes a learner.
  for (const id of conf.voters) {
    if (id !== self && view(id)?.pref === 2) return { type: 'add-learner', node: id };
  }

  // 3. New reachable members join as learners, all of them in one change: learners do not vote,
  // so a crowd of newcomers (a wide group starting) costs one commit, not one per member.
  const newcomers = [...members.values()]
    .filter((m) => !inConf.has(m.id) && m.id !== self && m.reachable && !m.departed && m.joinable)
    .map((m) => m.id)
    .sort();
  if (newcomers.length === 1) return { type: 'add-learner', node: newcomers[0]! };
  if (newcomers.length > 1) return { type: 'add-learners', nodes: newcomers };

  // 4. Promote caught-up learners, normal before reluctant, up to an odd target. The target counts
  // every reachable learner that may vote, caught up or not: going from one odd count to the next
  // takes two promotions, and the second learner usually lags for a moment behind the entry that
  // promoted the first. Counting only caught-up learners would read that moment as "one voter too
  // many", demote again, and flap between the two counts instead of growing.
  const candidates = conf.learners
    .map((id) => view(id))
    .filter((m): m is MemberView => m?.reachable === true && m.pref !== undefined && m.pref !== 2);
  const promotable = candidates
    .filter((m) => m.match >= input.commit)
    .sort((a, b) => (a.pref ?? 0) - (b.pref ?? 0) || b.match - a.match || (a.id < b.id ? -1 : 1));
  const target = oddFloor(Math.min(input.maxVoters, conf.voters.length + candidates.length));
  if (conf.voters.length < target && promotable[0] !== undefined) {
    return { type: 'add-voter', node: promotable[0].id };
  }

  // 5. Surplus voters (above maxVoters, or an even count with no learner on its way to make it odd)
  // step back: unreachable first, then reluctant.
  if (conf.voters.length > target) {
    const demote = conf.voters
      .filter((id) => id !== self)
      .map((id) => ({ id, m: view(id) }))
      .sort(
        (a, b) =>
          Number(a.m?.reachable ?? false) - Number(b.m?.reachable ?? false) ||
          (b.m?.pref ?? 0) - (a.m?.pref ?? 0) ||
          (a.m?.match ?? 0) - (b.m?.match ?? 0) ||
          (a.id < b.id ? -1 : 1),
      )[0];
    if (demote !== undefined) return { type: 'add-learner', node: demote.id };
  }
  return undefined;
}
