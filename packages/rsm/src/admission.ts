/**
 * Membership admission as pure decisions: which peers may bond (their tickets), which visible
 * members to dial (not bonded, not backing off), and which bonds to drop when tickets change.
 * Backoff is data: a not-before time per peer, compared with a `now` the caller passes in.
 */
import type { GroupId, PeerId } from '@mosaik/id';
import type { ConfState, NodeId } from '@mosaik/raft';
import type { Expiration, TicketValidator } from '@mosaik/tickets';
import type { Authorization } from './bonds.js';
import type { PeerStatus } from './wire.js';

/** A peer's discovery entry, as far as admission needs it. */
export interface TicketHolder {
  validateTickets(validators: readonly TicketValidator[]): Expiration | undefined;
}

/** A signed discovery entry, as far as admission needs it. */
export interface ListedPeer {
  readonly peerId: PeerId;
  readonly entry: { hasGroup(group: GroupId): boolean };
}

/**
 * Whether a peer may bond, from its discovery entry: everyone when the group has no validators;
 * otherwise only a known peer whose tickets pass (with the earliest expiry).
 */
export function authorizeEntry(
  validators: readonly TicketValidator[],
  entry: TicketHolder | undefined,
): Authorization {
  if (validators.length === 0) return { ok: true, expires: undefined };
  if (entry === undefined) return { ok: false, unknown: true, reason: 'not in the catalog' };
  try {
    return { ok: true, expires: entry.validateTickets(validators) };
  } catch (error) {
    return { ok: false, unknown: false, reason: String(error) };
  }
}

/** The peers (other than `self`) whose entry lists `group` and who pass `authorize`. */
export function visibleMembers(
  self: PeerId,
  group: GroupId,
  listed: Iterable<ListedPeer>,
  authorize: (peer: PeerId) => Authorization,
): PeerId[] {
  const out: PeerId[] = [];
  for (const s of listed) {
    if (!s.peerId.equals(self) && s.entry.hasGroup(group) && authorize(s.peerId).ok) out.push(s.peerId);
  }
  return out;
}

/** A bond whose peer's tickets are checked again. */
export interface Revalidated<B> {
  /** Still allowed, with the new earliest ticket expiry. */
  readonly keep: ReadonlyArray<{ readonly bond: B; readonly expires: Expiration | undefined }>;
  /** No longer allowed: to close with `NotAllowed`. */
  readonly drop: readonly B[];
}

/** Splits `bonds` by whether their peers still pass `authorize`. */
export function revalidate<B extends { readonly peer: PeerId }>(
  bonds: readonly B[],
  authorize: (peer: PeerId) => Authorization,
): Revalidated<B> {
  const keep: { bond: B; expires: Expiration | undefined }[] = [];
  const drop: B[] = [];
  for (const bond of bonds) {
    const auth = authorize(bond.peer);
    if (auth.ok) keep.push({ bond, expires: auth.expires });
    else drop.push(bond);
  }
  return { keep, drop };
}

/**
 * When each peer may be dialed again after a failed attempt. A failure holds the peer back for a
 * fixed delay (two heartbeats in a group), so a member that is down is not dialed on every
 * housekeeping round; a success, or the peer bonding with us, clears it.
 */
export class DialBackoff {
  readonly #notBefore = new Map<string, number>();

  /** Whether `peer` may be dialed at `now`. */
  allows(peer: string, now: number): boolean {
    return now >= (this.#notBefore.get(peer) ?? 0);
  }

  /** A dial of `peer` failed at `now`: hold it back for `delayMs`. */
  failed(peer: string, now: number, delayMs: number): void {
    this.#notBefore.set(peer, now + delayMs);
  }

  /** `peer` bonded (either way): no more backoff. */
  clear(peer: string): void {
    this.#notBefore.delete(peer);
  }
}

/**
 * Whether a member should hold a bond with `peer`, by the configuration it knows: with everyone,
 * except another learner (or observer) once both are learners of a configuration whose voters
 * are at `maxVoters`. A learner only ever talks to the leader and to the voter that relays the
 * leader's appends to it, and any voter may lead or relay, so it needs a bond with every voter
 * and with nobody else; bonds among learners would only carry
 * heartbeats, and in a wide group they are almost all the bonds (45 learners: 990 of 1,225),
 * each pinging both ways every heartbeat. Below `maxVoters` learners are about to be promoted
 * (a group forming, a voter replaced), so they keep their bonds rather than drop and redial
 * them. Peers outside the configuration (newcomers, members of another cluster) are always
 * bonded, so joining and merging see them as before.
 */
export function bondWanted(conf: ConfState, self: NodeId, peer: NodeId, maxVoters: number): boolean {
  if (conf.voters.length < maxVoters) return true;
  return !(conf.learners.includes(self) && conf.learners.includes(peer));
}

/**
 * Whether a bond with `peer` may stay quiet: send a ping only when nothing else went out for a
 * few heartbeat periods (still well within the silence that closes a bond), instead of its status
 * every period. Only once the configuration's voters are at `maxVoters`, for two kinds of bonds:
 *
 * - between a learner and a voter that is not leading: nothing on it waits for the other side's
 *   status (a learner takes its entries from the leader, and a voter's election needs only the
 *   other voters). In a wide group such bonds are most of the bonds (45 learners and 5 voters:
 *   180 of 235), their pings most of every idle member's messages;
 * - between the leader and a learner, when the learners are more than `maxVoters`: the leader
 *   then paces them (see `paceLearnersAbove` in `@mosaik/raft`), and its appends and heartbeats
 *   at each learner's slot, and the answers, keep the bond alive.
 *
 * Bonds among voters keep their pace, and so does every bond of a group still forming.
 */
export function bondQuiet(
  conf: ConfState,
  self: NodeId,
  peer: NodeId,
  lead: NodeId,
  maxVoters: number,
): boolean {
  if (conf.voters.length < maxVoters) return false;
  // Someone outside the configuration (a newcomer, another cluster's member) is never quiet:
  // joining and merging go by the statuses the pings carry.
  const voterEnd = conf.learners.includes(self) ? peer : conf.learners.includes(peer) ? self : undefined;
  if (voterEnd === undefined || !conf.voters.includes(voterEnd)) return false;
  return voterEnd !== lead || conf.learners.length > maxVoters;
}

/**
 * Dials in flight at most while a member knows no configuration and no member of a cluster: it
 * walks the members it can see a few at a time (see {@link dialOrder}) instead of dialling all of
 * them at once.
 */
export const SEEKING_DIALS = 4;

/** Whom a member dials itself (it still accepts every wanted bond; see {@link bondWanted}). */
export interface DialPlan {
  /** Only these peers, or `undefined` for any wanted one. */
  readonly targets: ReadonlySet<NodeId> | undefined;
  /** Dials in flight at most. */
  readonly budget: number;
}

/**
 * Whom a member dials, by what it knows. A bond costs a handshake on both sides and a ping each
 * way every heartbeat; when dozens of members join at once, everyone dialling everyone it sees is
 * a storm of handshakes that slows the very members that must admit the newcomers. So each side
 * dials only the bonds it needs, and the other side accepts them:
 * - a voter dials every member it sees: the leader adds newcomers and reads the members' states
 *   through its bonds, the voters elect among themselves, and they see rival clusters;
 * - any other member dials the voters of the configuration it knows (any of them may lead; see
 *   `bondWanted`) and the leaders its bonded peers report (a newcomer reaches the leader that
 *   adds it this way, if the leader's own dial did not come first; a newcomer catching up from a
 *   snapshot taken before it was added is not in that snapshot's configuration yet);
 * - a member that knows none of these (a group starting, or nobody reachable yet) dials everyone
 *   it sees, `SEEKING_DIALS` at a time, since founding needs the state of every member it sees.
 */
export function dialPlan(
  conf: ConfState,
  self: NodeId,
  bonded: Iterable<Pick<PeerStatus, 'cluster' | 'lead'> | undefined>,
): DialPlan {
  if (conf.voters.includes(self)) return { targets: undefined, budget: Number.POSITIVE_INFINITY };
  const targets = new Set<NodeId>(conf.voters);
  for (const st of bonded) if (st !== undefined && st.cluster !== '' && st.lead !== '') targets.add(st.lead);
  targets.delete(self);
  if (targets.size > 0) return { targets, budget: Number.POSITIVE_INFINITY };
  return { targets: undefined, budget: SEEKING_DIALS };
}

/**
 * The order to dial `peers` in: around the ring of ids, from the first one after `self`. Members
 * that start together then begin their walks at different peers instead of all dialling the same
 * few first.
 */
export function dialOrder(self: PeerId, peers: readonly PeerId[]): PeerId[] {
  const me = self.toString();
  const key = (p: PeerId): [number, string] => {
    const id = p.toString();
    return [id > me ? 0 : 1, id];
  };
  return [...peers].sort((a, b) => {
    const [ra, ia] = key(a);
    const [rb, ib] = key(b);
    return ra - rb || (ia < ib ? -1 : ia > ib ? 1 : 0);
  });
}

/** Whether to dial `peer` now: a member, not ourselves, not bonded, wanted, not backing off. */
export function shouldDial(input: {
  readonly peer: PeerId;
  readonly self: PeerId;
  readonly bonded: boolean;
  /** A bond with `peer` is wanted at all (see {@link bondWanted}). Default true. */
  readonly wanted?: boolean;
  readonly backoff: DialBackoff;
  readonly now: number;
}): boolean {
  if (input.bonded || input.wanted === false || input.peer.equals(input.self)) return false;
  return input.backoff.allows(input.peer.toString(), input.now);
}
