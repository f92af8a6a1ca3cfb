/**
 * What the leader's autopilot sees (the {@link MemberView}s that `nextChange` decides on), and
 * whom a leaving leader hands over to; built from the Raft status and the bonds' reported
 * statuses. Pure: time is an input and the only state, when each member was last reachable, is
 * a map the caller keeps.
 */
import type { NodeId, RaftStatus } from '@mosaik/raft';
import type { MemberView } from './autopilot.js';
import type { PeerStatus, WirePreference } from './wire.js';

/** A bond as the autopilot sees it. */
export interface PilotBond {
  readonly status: PeerStatus | undefined;
  readonly isClosed: boolean;
}

/** Inputs of {@link memberViews}. */
export interface MemberViewsInput {
  readonly self: NodeId;
  readonly selfPref: WirePreference;
  /** Our cluster. */
  readonly cluster: string;
  readonly status: Pick<RaftStatus, 'conf' | 'lastIndex' | 'progress'>;
  /** Peers we have a bond with (open or closing). */
  readonly bonded: readonly NodeId[];
  readonly bond: (id: NodeId) => PilotBond | undefined;
  /** Members that announced their departure. */
  readonly departed: ReadonlySet<NodeId>;
  /**
   * When each member was last reachable; updated in place (a member seen for the first time
   * counts as reachable now, so it gets the full dead-member timeout).
   */
  readonly lastSeen: Map<NodeId, number>;
  readonly now: number;
  /** The life each member was admitted in, as of our applied index. */
  readonly admittedAs: (id: NodeId) => string | undefined;
  /**
   * Our applied state covers every configuration entry in the log (applied ≥ commit, and at most
   * one change is ever uncommitted): only then may a reported life be compared with it.
   */
  readonly admissionsCurrent: boolean;
}

/** One view per member of the configuration and per bonded peer. */
export function memberViews(input: MemberViewsInput): Map<NodeId, MemberView> {
  const { self, status, now, lastSeen, cluster } = input;
  const members = new Map<NodeId, MemberView>();
  const inConf = new Set<NodeId>([...status.conf.voters, ...status.conf.learners]);
  const ids = new Set<NodeId>([...inConf, ...input.bonded]);
  for (const id of ids) {
    const isSelf = id === self;
    const bond = input.bond(id);
    const reachable = isSelf || (bond !== undefined && !bond.isClosed);
    if (reachable || !lastSeen.has(id)) lastSeen.set(id, now);
    const st = bond?.status;
    members.set(id, {
      id,
      reachable,
      unreachableFor: now - (lastSeen.get(id) ?? now),
      departed: input.departed.has(id),
      pref: isSelf ? input.selfPref : st?.pref,
      match: isSelf ? status.lastIndex : (status.progress.get(id)?.match ?? 0),
      joinable: st !== undefined && (st.cluster === '' || st.cluster === cluster || st.yield === cluster),
      foreign:
        !isSelf && st !== undefined && st.cluster !== '' && st.cluster !== cluster && st.yield !== cluster,
      backWithoutLog:
        !isSelf &&
        input.admissionsCurrent &&
        st !== undefined &&
        st.inc !== '' &&
        inConf.has(id) &&
        input.admittedAs(id) !== st.inc,
    });
  }
  return members;
}

/**
 * The voter a leaving leader hands leadership to: reachable, not an observer; normal before
 * reluctant, then the most caught-up, then the lowest id. `undefined` when there is none.
 */
export function handoffTarget(input: {
  readonly self: NodeId;
  readonly status: Pick<RaftStatus, 'conf' | 'progress'>;
  readonly bond: (id: NodeId) => PilotBond | undefined;
}): NodeId | undefined {
  const { self, status } = input;
  return status.conf.voters
    .filter((v) => v !== self)
    .map((id) => ({ id, bond: input.bond(id), match: status.progress.get(id)?.match ?? 0 }))
    .filter(
      (c) =>
        c.bond !== undefined &&
        !c.bond.isClosed &&
        c.bond.status?.pref !== 2 &&
        // A member waiting to be admitted in its current life may not campaign.
        (c.bond.status?.inc ?? '') === '',
    )
    .sort(
      (a, b) =>
        (a.bond?.status?.pref ?? 0) - (b.bond?.status?.pref ?? 0) ||
        b.match - a.match ||
        (a.id < b.id ? -1 : 1),
    )[0]?.id;
}
