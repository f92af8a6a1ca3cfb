/**
 * The admission side of a group member: who may bond (tickets), whom to dial (visible members,
 * with a backoff), which bonds to drop when tickets change, and what to do with peer entries
 * that arrive on bonds. The decisions are `admission.ts`'s pure functions; this class applies
 * them to the member's bonds and directory, with time from the member's clock.
 */
import type { Clock, GroupId, PeerId } from '@mosaik/id';
import type { Logger } from '@mosaik/metrics';
import type { TicketValidator } from '@mosaik/tickets';
import { CloseCode } from '@mosaik/transport';
import {
  authorizeEntry,
  DialBackoff,
  type DialPlan,
  dialOrder,
  revalidate,
  shouldDial,
  visibleMembers,
} from './admission.js';
import type { Authorization } from './bonds.js';
import type { MemberDirectory } from './directory.js';
import type { MemberBond, MemberBonds } from './member.js';
import type { GroupsMetrics } from './metrics.js';
import { WireType } from './wire.js';

/** What admission needs from its member. */
export interface AdmissionContext {
  readonly self: PeerId;
  readonly group: GroupId;
  readonly validators: readonly TicketValidator[];
  readonly directory: MemberDirectory | undefined;
  readonly clock: Clock;
  /** How long a peer is not dialed again after a failed attempt. */
  readonly retryDelay: number;
  readonly metrics: GroupsMetrics;
  readonly logger: Logger;
  /** The member's bonds (built after admission, hence a function). */
  bonds(): MemberBonds;
  /** The member is leaving: dial nobody. */
  stopping(): boolean;
  /** Whether a bond with `peer` is worth holding (not two learners of one configuration). */
  wanted(peer: PeerId): boolean;
  /** Whom to dial ourselves (see `dialPlan`). Default: every wanted peer, all at once. */
  dialPlan?(): DialPlan;
}

/** Admission of peers into one member's bond set. */
export class MemberAdmission {
  readonly #c: AdmissionContext;
  readonly #backoff = new DialBackoff();
  /**
   * Peers being dialed: a housekeeping round or catalog change while a dial is under way leaves
   * it alone instead of waiting on it once more (a dial that times out would otherwise be
   * reported, and back off, once per round it spanned).
   */
  readonly #dialing = new Set<string>();
  #lastLocalVersion: unknown;

  constructor(context: AdmissionContext) {
    this.#c = context;
  }

  /** Follows the directory: re-checks and dials on every catalog change. Returns how to stop. */
  follow(): () => void {
    const directory = this.#c.directory;
    if (directory === undefined) return () => {};
    this.#lastLocalVersion = directory.localVersion();
    const stop = directory.subscribe(() => this.onCatalog());
    queueMicrotask(() => this.onCatalog());
    return stop;
  }

  /** Whether `peer` may bond (its tickets pass), with its earliest ticket expiry. */
  authorize(peer: PeerId): Authorization {
    if (this.#c.validators.length === 0) return { ok: true, expires: undefined };
    return authorizeEntry(this.#c.validators, this.#c.directory?.entry(peer));
  }

  /** The authorized peers whose entry lists the group. */
  visible(): PeerId[] {
    const directory = this.#c.directory;
    if (directory === undefined) return [];
    return visibleMembers(this.#c.self, this.#c.group, directory.listed(), (p) => this.authorize(p));
  }

  isMember(peer: PeerId): boolean {
    return !peer.equals(this.#c.self) && this.authorize(peer).ok;
  }

  /** `peer` bonded (either side dialed): no more backoff. */
  bonded(peer: PeerId): void {
    this.#backoff.clear(peer.toString());
  }

  /**
   * A peer entry arrived on `bond` (`fromOwner`: the peer's own, updated). Returns why the bond
   * must be closed as a protocol violation, or `undefined`.
   */
  onEntry(bond: MemberBond, wire: unknown, fromOwner: boolean): string | undefined {
    const directory = this.#c.directory;
    if (directory === undefined) return undefined;
    const fed = directory.feed(wire, bond.peer, fromOwner);
    if (!fed.ok) return fed.why;
    if (fromOwner) this.revalidate();
    else if (fed.listsGroup && this.isMember(fed.peer)) this.dial(fed.peer);
    return undefined;
  }

  onCatalog(): void {
    const directory = this.#c.directory;
    if (this.#c.stopping() || directory === undefined) return;
    // Our own entry changed (tickets): tell bonded peers so they re-validate at once.
    const version = directory.localVersion();
    if (version !== this.#lastLocalVersion) {
      this.#lastLocalVersion = version;
      const entry = directory.localWire();
      for (const b of this.#c.bonds().list()) b.send({ t: WireType.PeerEntryUpdate, entry });
    }
    this.revalidate();
    this.reconcile();
  }

  /** Bonded peers whose tickets no longer pass are disconnected with `NotAllowed`. */
  revalidate(): void {
    if (this.#c.validators.length === 0) return;
    const { keep, drop } = revalidate(this.#c.bonds().list(), (p) => this.authorize(p));
    for (const { bond, expires } of keep) bond.reauthorized(expires);
    for (const bond of drop) {
      this.#c.metrics.rejected.inc({ reason: 'NotAllowed' });
      void bond.close(CloseCode.NotAllowed);
    }
  }

  /**
   * Dials every visible member we are not bonded with (with a backoff after failures), and closes
   * the bonds the configuration says are not needed (another learner, once both are learners).
   */
  reconcile(): void {
    if (this.#c.stopping()) return;
    for (const bond of this.#c.bonds().list())
      if (!bond.isClosed && !this.#c.wanted(bond.peer)) void bond.close(CloseCode.Cancelled);
    const plan = this.#c.dialPlan?.();
    for (const peer of dialOrder(this.#c.self, this.visible())) this.dial(peer, plan);
  }

  /** Dials `peer` if the plan (by default the member's current one) says so and allows one more. */
  dial(peer: PeerId, plan: DialPlan | undefined = this.#c.dialPlan?.()): void {
    if (this.#c.stopping()) return;
    if (plan !== undefined) {
      if (plan.targets !== undefined && !plan.targets.has(peer.toString())) return;
      if (this.#dialing.size >= plan.budget) return;
    }
    const bonds = this.#c.bonds();
    const now = this.#c.clock.now();
    const bonded = bonds.get(peer) !== undefined;
    const wanted = this.#c.wanted(peer);
    if (!shouldDial({ peer, self: this.#c.self, bonded, wanted, backoff: this.#backoff, now })) return;
    const key = peer.toString();
    if (this.#dialing.has(key)) return;
    this.#dialing.add(key);
    bonds.dial(peer).then(
      () => {
        this.#dialing.delete(key);
        this.#backoff.clear(key);
      },
      (error: unknown) => {
        this.#dialing.delete(key);
        this.#backoff.failed(key, this.#c.clock.now(), this.#c.retryDelay);
        this.#c.logger.debug({ peer: peer.short(), err: String(error) }, 'bond attempt failed');
      },
    );
  }
}
