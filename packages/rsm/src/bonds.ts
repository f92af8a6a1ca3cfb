/**
 * The bond set of one group: dialing (initiator side of the handshake), accepting (acceptor side,
 * after the router matched the group), one bond per peer with a deterministic tie-break, and the
 * live view the `Group` exposes as `bonds()`.
 */
import { type GroupId, PeerId, Watch } from '@mosaik/id';
import type { Logger } from '@mosaik/metrics';
import { Expiration } from '@mosaik/tickets';
import {
  CloseCode,
  type CloseInfo,
  closeCodeName,
  type EndpointAddr,
  type LocalNode,
} from '@mosaik/transport';
import { Bond } from './bond.js';
import { BondError } from './errors.js';
import { HandshakeFailedError, nonce, recvHandshake, reject, sendHandshake } from './handshake.js';
import type { GroupKey } from './key.js';
import type { BondLink, LinkWrapper } from './link.js';
import type { GroupsMetrics } from './metrics.js';
import { bondProof, verifyBondProof } from './proof.js';
import { type BondMessage, GROUPS_ALPN, type Hello, type PeerStatus, WireType } from './wire.js';

/** Whether a peer may bond: with its earliest ticket expiry, or why not. */
export type Authorization =
  | { readonly ok: true; readonly expires: Expiration | undefined }
  | { readonly ok: false; readonly unknown: boolean; readonly reason: string };

/** What the bond set needs from its group. */
export interface BondSetContext {
  readonly node: LocalNode;
  readonly groupId: GroupId;
  readonly key: GroupKey;
  readonly handshakeTimeout: number;
  readonly heartbeatInterval: number;
  readonly maxMissedHeartbeats: number;
  readonly metrics: GroupsMetrics;
  /** Wraps dialed connections (fault injection in tests). */
  readonly wrapLink?: LinkWrapper | undefined;
  readonly logger: Logger;
  /** Ticket check of a peer (from its discovery entry). */
  authorize(peer: PeerId): Authorization;
  /**
   * Whether a bond with `peer` is worth holding (two learners of one configuration need none):
   * a dial from a peer that is not is refused, so the dialer backs off. Default: every peer.
   */
  wanted?(peer: PeerId): boolean;
  /**
   * Whether the bond with `peer` may stay quiet (see `bondQuiet`): it then pings only every few
   * heartbeat periods. Asked every period. Default: never.
   */
  quiet?(peer: PeerId): boolean;
  /** The acceptor did not know us (`UnknownPeer`): make it learn our entry, then the dial is retried once. */
  introduce?(peer: PeerId): Promise<void>;
  /** Our status, sent with every ping. */
  status(): PeerStatus;
  /** Peers a new bond partner is bonded with (from `Welcome`): candidates to bond with. */
  learned(peers: readonly PeerId[]): void;
  up(bond: Bond): void;
  down(bond: Bond, info: CloseInfo): void;
  message(bond: Bond, message: BondMessage): void;
}

/** One bond per peer for one group. */
export class BondSet {
  readonly #ctx: BondSetContext;
  readonly #bonds = new Map<string, Bond>();
  readonly #dialing = new Map<string, Promise<Bond>>();
  /** The current bonds, sorted by peer id; changes whenever the set does. */
  readonly watch = new Watch<readonly Bond[]>([]);
  #closed = false;

  constructor(ctx: BondSetContext) {
    this.#ctx = ctx;
  }

  get size(): number {
    return this.#bonds.size;
  }

  get(peer: PeerId | string): Bond | undefined {
    return this.#bonds.get(typeof peer === 'string' ? peer : peer.toString());
  }

  list(): readonly Bond[] {
    return this.watch.get();
  }

  /** Dials `target` and runs the initiator side of the handshake; resolves with the bond (existing or new). */
  dial(target: PeerId | EndpointAddr): Promise<Bond> {
    const peer = 'id' in target ? target.id : target;
    const key = peer.toString();
    const existing = this.#bonds.get(key);
    if (existing !== undefined && !existing.isClosed) return Promise.resolve(existing);
    const pending = this.#dialing.get(key);
    if (pending !== undefined) return pending;
    const dial = this.#dial(target, peer, false).finally(() => this.#dialing.delete(key));
    this.#dialing.set(key, dial);
    return dial;
  }

  async #dial(target: PeerId | EndpointAddr, peer: PeerId, retried: boolean): Promise<Bond> {
    const ctx = this.#ctx;
    if (this.#closed) throw new BondError('group_terminated', 'group closed');
    if (peer.equals(ctx.node.peerId)) throw new BondError('link', 'cannot bond with self');
    const auth = ctx.authorize(peer);
    if (!auth.ok) throw new BondError('unauthorized', `${peer.short()} is not authorized: ${auth.reason}`);
    let link: BondLink;
    try {
      const raw = await ctx.node.connect<unknown>(target, GROUPS_ALPN, { timeout: ctx.handshakeTimeout * 2 });
      link = ctx.wrapLink?.(raw) ?? raw;
    } catch (error) {
      throw new BondError('link', `dial ${peer.short()} failed: ${String(error)}`);
    }
    const self = ctx.node.peerId;
    try {
      const nonceI = nonce();
      await sendHandshake(link, {
        t: WireType.Hello,
        network: ctx.node.networkId.bytes,
        group: ctx.groupId.bytes,
        nonce: nonceI,
      });
      const challenge = await recvHandshake(link, ctx.handshakeTimeout);
      if (challenge.t !== WireType.Challenge)
        return await reject(link, CloseCode.InvalidHandshake, 'expected Challenge');
      const nonces = { initiator: nonceI, acceptor: challenge.nonce };
      if (!verifyBondProof(challenge.proof, ctx.key, ctx.groupId, nonces, peer, self)) {
        ctx.metrics.rejected.inc({ reason: 'InvalidProof' });
        return await reject(link, CloseCode.InvalidProof, 'acceptor proof did not verify');
      }
      await sendHandshake(link, {
        t: WireType.Proof,
        proof: bondProof(ctx.key, ctx.groupId, nonces, self, peer),
      });
      const welcome = await recvHandshake(link, ctx.handshakeTimeout);
      if (welcome.t !== WireType.Welcome)
        return await reject(link, CloseCode.InvalidHandshake, 'expected Welcome');
      const bond = this.#adopt(link, self, auth.expires);
      if (bond === undefined) {
        const kept = this.#bonds.get(peer.toString());
        if (kept !== undefined) return kept;
        throw new BondError('already_bonded', `already bonded with ${peer.short()}`, CloseCode.AlreadyBonded);
      }
      ctx.learned(welcome.peers.flatMap((p) => peerIdOrEmpty(p)));
      return bond;
    } catch (error) {
      if (!link.isClosed) await link.close(CloseCode.Cancelled);
      if (!(error instanceof HandshakeFailedError)) throw error;
      if (
        error.closeCode === CloseCode.UnknownPeer &&
        !retried &&
        ctx.introduce !== undefined &&
        !this.#closed
      ) {
        await ctx.introduce(peer);
        return this.#dial(target, peer, true);
      }
      if (error.closeCode === CloseCode.AlreadyBonded) {
        const kept = this.#bonds.get(peer.toString());
        if (kept !== undefined) return kept;
        throw new BondError('already_bonded', `already bonded with ${peer.short()}`, error.closeCode);
      }
      if (error.closeCode === CloseCode.InvalidProof)
        throw new BondError('invalid_proof', `bond with ${peer.short()}: ${error.message}`, error.closeCode);
      if (error.closeCode === CloseCode.NotAllowed)
        throw new BondError('unauthorized', `bond with ${peer.short()}: ${error.message}`, error.closeCode);
      throw new BondError('link', `bond with ${peer.short()}: ${error.message}`, error.closeCode);
    }
  }

  /** The acceptor side, once the router decoded `Hello` and found this group. Never throws. */
  async accept(link: BondLink, hello: Hello): Promise<void> {
    const ctx = this.#ctx;
    const peer = link.remoteId;
    const refuse = async (code: CloseCode, why: string) => {
      ctx.metrics.rejected.inc({ reason: closeCodeName(code) });
      ctx.logger.debug({ peer: peer.short(), why }, 'bond refused');
      await link.close(code);
    };
    if (this.#closed) return refuse(CloseCode.GroupNotFound, 'group closed');
    const auth = ctx.authorize(peer);
    if (!auth.ok) return refuse(auth.unknown ? CloseCode.UnknownPeer : CloseCode.NotAllowed, auth.reason);
    if (ctx.wanted?.(peer) === false) return refuse(CloseCode.Cancelled, 'both are learners: no bond needed');
    const self = ctx.node.peerId;
    const nonces = { initiator: hello.nonce, acceptor: nonce() };
    try {
      await sendHandshake(link, {
        t: WireType.Challenge,
        nonce: nonces.acceptor,
        proof: bondProof(ctx.key, ctx.groupId, nonces, self, peer),
      });
      const proof = await recvHandshake(link, ctx.handshakeTimeout);
      if (proof.t !== WireType.Proof) return refuse(CloseCode.InvalidHandshake, 'expected Proof');
      if (!verifyBondProof(proof.proof, ctx.key, ctx.groupId, nonces, peer, self))
        return refuse(CloseCode.InvalidProof, 'initiator proof did not verify');
      await sendHandshake(link, {
        t: WireType.Welcome,
        peers: this.list()
          .filter((b) => !b.peer.equals(peer))
          .map((b) => b.peer.bytes),
      });
    } catch (error) {
      if (error instanceof HandshakeFailedError) {
        if (error.closeCode !== undefined)
          ctx.metrics.rejected.inc({ reason: closeCodeName(error.closeCode) });
        ctx.logger.debug({ peer: peer.short(), err: error.message }, 'bond handshake failed');
        if (!link.isClosed) await link.close(CloseCode.Cancelled);
        return;
      }
      throw error;
    }
    this.#adopt(link, peer, auth.expires);
  }

  /**
   * Registers a handshaken link. With a bond to the same peer already in place, the connection
   * dialed by the smaller peer id wins on both sides (so both keep the same one); between two
   * connections dialed by the same peer the newer wins (the dialer evidently lost the old one).
   */
  #adopt(link: BondLink, initiator: PeerId, expires: Expiration | undefined): Bond | undefined {
    const ctx = this.#ctx;
    const peer = link.remoteId;
    const key = peer.toString();
    if (this.#closed) {
      void link.close(CloseCode.Cancelled);
      return undefined;
    }
    const existing = this.#bonds.get(key);
    if (existing !== undefined && !existing.isClosed) {
      const self = ctx.node.peerId;
      const preferred = self.compare(peer) < 0 ? self : peer;
      const keepExisting = !existing.initiator.equals(initiator) && existing.initiator.equals(preferred);
      if (keepExisting) {
        ctx.metrics.rejected.inc({ reason: 'AlreadyBonded' });
        void link.close(CloseCode.AlreadyBonded);
        return undefined;
      }
      this.#bonds.delete(key);
      void existing.close(CloseCode.AlreadyBonded);
    }
    const bond = new Bond(link, initiator, {
      heartbeatInterval: ctx.heartbeatInterval,
      maxMissedHeartbeats: ctx.maxMissedHeartbeats,
      metrics: ctx.metrics,
      group: ctx.groupId.short(),
      logger: ctx.logger,
      expires,
    });
    this.#bonds.set(key, bond);
    this.#publish();
    bond.start({
      message: (b, m) => {
        if (this.#bonds.get(key) === b) ctx.message(b, m);
      },
      closed: (b, info) => {
        if (this.#bonds.get(key) !== b) return;
        this.#bonds.delete(key);
        this.#publish();
        ctx.down(b, info);
      },
      status: () => ctx.status(),
      quiet: () => ctx.quiet?.(peer) ?? false,
      revalidate: () => {
        const auth = ctx.authorize(peer);
        return auth.ok ? (auth.expires ?? Expiration.never()) : false;
      },
    });
    ctx.up(bond);
    return bond;
  }

  #publish(): void {
    const list = [...this.#bonds.values()].sort((a, b) => a.peer.compare(b.peer));
    this.watch.set(list);
    this.#ctx.metrics.bondsActive.set({ group: this.#ctx.groupId.short() }, list.length);
  }

  /**
   * Closes every bond; with `depart`, each peer is told first so it stops counting on us at once.
   * Dials still running get one handshake timeout to notice (a link they complete now is closed
   * at once); one waiting for a catalog sync with an unreachable peer is not waited for.
   */
  async close(depart: boolean): Promise<void> {
    this.#closed = true;
    const bonds = [...this.#bonds.values()];
    await Promise.allSettled(bonds.map((b) => (depart ? b.depart() : b.close(CloseCode.Cancelled))));
    const dials = [...this.#dialing.values()];
    if (dials.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(dials),
      new Promise<void>((r) => {
        timer = setTimeout(r, this.#ctx.handshakeTimeout);
      }),
    ]);
    clearTimeout(timer);
  }
}

function peerIdOrEmpty(bytes: Uint8Array): PeerId[] {
  try {
    return [PeerId.fromBytes(bytes)];
  } catch {
    return [];
  }
}

/** Live view of a group's bonds (what `Group.bonds()` returns). */
export class Bonds {
  readonly #set: BondSet;
  /** @internal */
  constructor(set: BondSet) {
    this.#set = set;
  }
  get size(): number {
    return this.#set.size;
  }
  /** Peers currently bonded, sorted by id. */
  peers(): PeerId[] {
    return this.#set.list().map((b) => b.peer);
  }
  has(peer: PeerId): boolean {
    return this.#set.get(peer) !== undefined;
  }
  get(peer: PeerId): Bond | undefined {
    return this.#set.get(peer);
  }
  list(): readonly Bond[] {
    return this.#set.list();
  }
  /** Resolves on the next change of the bond set. */
  async changed(): Promise<void> {
    await this.#set.watch.changed();
  }
}
