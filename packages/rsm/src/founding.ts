/**
 * The founding rule (design §6) as a pure decision: whether a member with no cluster founds one
 * now. Time is an input (`now`, `startedAt`), so the rule runs the same on the wall clock and in
 * the group simulator.
 */
import type { NodeId } from '@mosaik/raft';
import type { PeerStatus, WirePreference } from './wire.js';

/** What a would-be founder knows about one member it can see (through discovery or a bond). */
export interface FoundingPeer {
  readonly id: NodeId;
  /** A bond to it exists (possibly still without a status). */
  readonly bonded: boolean;
  /** Its last reported status, `undefined` while unknown. */
  readonly status: Pick<PeerStatus, 'cluster' | 'pref'> | undefined;
}

/** Inputs of {@link shouldFound}. Durations and times in ms. */
export interface FoundingInput {
  readonly self: NodeId;
  readonly pref: WirePreference;
  /** The member has never had a log (no cluster ever joined). */
  readonly fresh: boolean;
  /** Its current cluster, `''` when none. */
  readonly cluster: string;
  readonly now: number;
  /** When it joined the group. */
  readonly startedAt: number;
  readonly bootstrapDelay: number;
  /** Members (the founder included, observers not) that must see each other before a founding. */
  readonly bootstrapExpect: number;
  readonly deadMemberTimeout: number;
  /** Every member it can see, by discovery or bond. */
  readonly visible: readonly FoundingPeer[];
}

/**
 * A member with no cluster, after `bootstrapDelay`, founds one only if it knows the state of
 * every member it can see and none of them belongs to a cluster, and every visible member with a
 * lower peer id is an observer. Founding beside an existing cluster is repaired by a merge, but
 * the losing side loses what it committed, so a member whose state is unknown (not bonded yet,
 * or bonded with no status received) blocks founding, whatever its id, until it stayed
 * unreachable for the longer of three bootstrap delays and `deadMemberTimeout`. Observers never
 * found: they could never lead what they founded. With `bootstrapExpect` above one, a founding
 * also waits until that many would-be members (itself included) report that they have no cluster,
 * so a member started early cannot found alone and lose its writes when the others form theirs.
 */
export function shouldFound(input: FoundingInput): boolean {
  if (input.pref === 2 || !input.fresh || input.cluster !== '') return false;
  const waited = input.now - input.startedAt;
  const delay = input.bootstrapDelay;
  if (waited < delay) return false;
  const patience = Math.max(3 * delay, input.deadMemberTimeout);
  for (const peer of input.visible) {
    const status = peer.status;
    if (status === undefined) {
      if (!peer.bonded && waited >= patience) continue;
      return false;
    }
    if (status.cluster !== '') return false;
    if (peer.id < input.self && status.pref !== 2) return false;
  }
  return foundingMembers(input.visible) >= input.bootstrapExpect;
}

/** Members that could found a cluster together: this one and every visible non-observer without one. */
export function foundingMembers(visible: FoundingInput['visible']): number {
  return (
    1 + visible.filter((p) => p.status !== undefined && p.status.cluster === '' && p.status.pref !== 2).length
  );
}
