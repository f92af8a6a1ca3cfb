/**
 * HyParView membership (Leitão, Pereira, Rodrigues 2007), as a pure state machine.
 *
 * The active view holds the neighbours that carry broadcast traffic (symmetric: if A lists B,
 * B lists A, repaired by `Disconnect` when a race breaks that); the passive view is a bigger,
 * lazily refreshed pool of backups from which a lost neighbour is replaced.
 */

import { equalBytes } from '@mosaik/id';
import type { GossipConfig } from './config.js';
import {
  type GossipEnv,
  type GossipMessage,
  type GossipOutput,
  MessageType,
  type PeerInfo,
} from './types.js';
import { pickRandom, sampleRandom } from './util.js';

type Out<P> = GossipOutput<P>[];

/** Callbacks into the broadcast layer. */
export interface MembershipListener<P> {
  neighborUp(peer: P, out: Out<P>): void;
  neighborDown(peer: P, out: Out<P>): void;
}

/** HyParView state of one node. */
export class HyParView<P> {
  readonly #active = new Map<string, P>();
  readonly #passive = new Map<string, P>();
  readonly #pending = new Set<string>();
  /** Peers known from elsewhere (the catalog), used only to repair a sparse view. */
  readonly #reserve = new Map<string, P>();
  readonly #data = new Map<string, Uint8Array>();
  #myData: Uint8Array | undefined;

  constructor(
    private readonly env: GossipEnv<P>,
    private readonly config: GossipConfig,
    private readonly listener: MembershipListener<P>,
    myData?: Uint8Array,
  ) {
    this.#myData = myData;
  }

  /** Current neighbours. */
  activePeers(): P[] {
    return [...this.#active.values()];
  }

  /** Current backup peers. */
  passivePeers(): P[] {
    return [...this.#passive.values()];
  }

  isActive(peer: P): boolean {
    return this.#active.has(this.env.key(peer));
  }

  /** Updates our own address data (sent with later join/neighbour/shuffle messages). */
  setData(data: Uint8Array | undefined): void {
    this.#myData = data;
  }

  /** Sends `Join` to each contact; it answers with `Neighbor` and spreads `ForwardJoin`s. */
  join(peers: readonly PeerInfo<P>[], out: Out<P>): void {
    for (const info of peers) {
      if (this.#isMe(info.id)) continue;
      this.#learn(info, out);
      if (this.isActive(info.id)) continue;
      this.#send(out, info.id, { t: MessageType.Join, data: this.#myData });
    }
  }

  /**
   * Remembers peers learned elsewhere (the catalog) for repairs. They stay out of the passive
   * view: every lost neighbour refills from that, and a passive view full of catalog peers made
   * join storms churn.
   */
  suggest(peers: readonly PeerInfo<P>[], out: Out<P>): void {
    for (const info of peers) {
      if (this.#isMe(info.id)) continue;
      this.#learn(info, out);
      this.#setBounded(this.#reserve, this.env.key(info.id), info.id);
    }
  }

  /** Tells every neighbour we are leaving for good, and forgets all views. */
  leave(out: Out<P>): void {
    for (const peer of this.activePeers()) {
      this.#send(out, peer, { t: MessageType.Disconnect, alive: false });
      this.#removeActive(peer, out);
    }
    this.#passive.clear();
    this.#reserve.clear();
    this.#pending.clear();
  }

  /** Handles a membership message; returns false when it is not one. */
  onMessage(from: P, msg: GossipMessage<P>, out: Out<P>): boolean {
    if (this.#isMe(from)) return true;
    switch (msg.t) {
      case MessageType.Join:
        this.#onJoin(from, msg.data, out);
        return true;
      case MessageType.ForwardJoin:
        this.#onForwardJoin(from, msg.peer, msg.ttl, out);
        return true;
      case MessageType.Neighbor:
        this.#onNeighbor(from, msg.high, msg.data, out);
        return true;
      case MessageType.Disconnect:
        this.#onDisconnect(from, msg.alive, out);
        return true;
      case MessageType.Shuffle:
        this.#onShuffle(from, msg.origin, msg.nodes, msg.ttl, out);
        return true;
      case MessageType.ShuffleReply:
        for (const node of msg.nodes) this.#addPassive(node, out);
        return true;
      default:
        return false;
    }
  }

  /** The connection to `peer` failed: it is dead to us, in both views. */
  onDisconnected(peer: P, out: Out<P>): void {
    const k = this.env.key(peer);
    this.#pending.delete(k);
    this.#passive.delete(k);
    if (this.#active.has(k)) this.#removeActive(peer, out);
    this.#refill([k], out);
  }

  /**
   * `peer` left the network for good (its signed departure reached us some other way than its
   * own Disconnect): forget it in every view and the reserve, so that no repair or refill dials
   * a node that is gone.
   */
  forget(peer: P, out: Out<P>): void {
    const k = this.env.key(peer);
    this.#pending.delete(k);
    this.#passive.delete(k);
    this.#reserve.delete(k);
    if (this.#active.has(k)) {
      this.#removeActive(peer, out);
      this.#refill([k], out);
    }
  }

  /** A neighbour request went unanswered: drop that backup and try another. */
  onNeighborRequestTimeout(peer: P, out: Out<P>): void {
    const k = this.env.key(peer);
    if (!this.#pending.delete(k)) return;
    this.#passive.delete(k);
    this.#refill([k], out);
  }

  /**
   * Periodic repair: a node with fewer than `repairBelow` neighbours asks backups to become
   * neighbours. Only sparse views repair: in a grown overlay most views are full, and a node
   * that keeps asking full peers only to be refused costs everyone a connection per attempt.
   */
  onRepairTimer(out: Out<P>): void {
    out.push({ type: 'timer', afterMs: this.config.repairIntervalMs, timer: { kind: 'repair' } });
    if (this.#active.size >= this.config.repairBelow) return;
    // These requests cannot be refused. A sparse view that only asks politely stays sparse when
    // every backup is full: after a crash, two or three survivors that only know each other
    // form an island that no refusal-prone request ever joins back to the overlay.
    this.#refill([], out, true);
    while (this.#active.size + this.#pending.size < this.config.repairBelow) {
      const candidates = [...this.#reserve.entries()].filter(
        ([k]) => !this.#active.has(k) && !this.#pending.has(k),
      );
      const pick = pickRandom(candidates, this.env.random);
      if (pick === undefined) return;
      this.#reserve.delete(pick[0]);
      this.#requestNeighbor(pick[0], pick[1], out, true);
    }
  }

  /** Periodic shuffle: exchange a sample of our views with a random walk's endpoint. */
  onShuffleTimer(out: Out<P>): void {
    out.push({ type: 'timer', afterMs: this.config.shuffleIntervalMs, timer: { kind: 'shuffle' } });
    // A view that lost peers without noticing a failure is topped up here too.
    this.#refill([], out);
    const active = this.activePeers();
    const target = pickRandom(active, this.env.random);
    if (target === undefined) return;
    const others = active.filter((p) => this.env.key(p) !== this.env.key(target));
    const nodes = [
      ...sampleRandom(others, this.config.shuffleActiveCount, this.env.random),
      ...sampleRandom(this.passivePeers(), this.config.shufflePassiveCount, this.env.random),
    ].map((p) => this.#info(p));
    this.#send(out, target, {
      t: MessageType.Shuffle,
      origin: { id: this.env.me, data: this.#myData },
      nodes,
      ttl: this.config.shuffleRandomWalkLength,
    });
  }

  #onJoin(from: P, data: Uint8Array | undefined, out: Out<P>): void {
    if (data !== undefined) this.#learn({ id: from, data }, out);
    // A Join from a peer we already list comes from a new run of it (restarted with the same
    // key before we noticed the old one die): it has no view of us, so it needs our Neighbor.
    if (this.#active.has(this.env.key(from))) {
      this.#send(out, from, { t: MessageType.Neighbor, high: true, data: this.#myData });
    }
    // A joining node must be accepted, whatever it costs us (high priority).
    this.#addActive(from, true, out);
    const info = this.#info(from);
    for (const peer of this.activePeers()) {
      if (this.env.key(peer) === this.env.key(from)) continue;
      this.#send(out, peer, {
        t: MessageType.ForwardJoin,
        peer: info,
        ttl: this.config.activeRandomWalkLength,
      });
    }
  }

  #onForwardJoin(from: P, peer: PeerInfo<P>, ttl: number, out: Out<P>): void {
    if (this.#isMe(peer.id)) return;
    this.#learn(peer, out);
    if (ttl <= 0 || this.#active.size <= 1) {
      this.#addActive(peer.id, true, out);
      return;
    }
    if (ttl === this.config.passiveRandomWalkLength) this.#addPassive(peer, out);
    const skip = new Set([this.env.key(from), this.env.key(peer.id)]);
    const next = pickRandom(
      this.activePeers().filter((p) => !skip.has(this.env.key(p))),
      this.env.random,
    );
    if (next === undefined) this.#addActive(peer.id, true, out);
    else this.#send(out, next, { t: MessageType.ForwardJoin, peer, ttl: ttl - 1 });
  }

  #onNeighbor(from: P, high: boolean, data: Uint8Array | undefined, out: Out<P>): void {
    const k = this.env.key(from);
    if (data !== undefined) this.#learn({ id: from, data }, out);
    const wasPending = this.#pending.delete(k);
    if (this.#active.has(k)) return; // the answer to our own request, or a duplicate
    if (this.#addActive(from, high, out)) return;
    // Refused: say so, so the requester does not count us as a neighbour.
    this.#send(out, from, { t: MessageType.Disconnect, alive: true });
    out.push({ type: 'close', peer: from });
    this.#addPassive({ id: from }, out);
    if (wasPending) this.#refill([k], out);
  }

  #onDisconnect(from: P, alive: boolean, out: Out<P>): void {
    const k = this.env.key(from);
    const wasActive = this.#active.has(k);
    this.#pending.delete(k);
    if (wasActive) this.#removeActive(from, out);
    if (alive) this.#addPassive({ id: from }, out);
    else {
      this.#passive.delete(k);
      this.#reserve.delete(k);
    }
    // A lost neighbour is replaced at once. A refused request is not retried at once unless the
    // view is sparse: in a grown overlay most backups are full, and a node one short of
    // capacity that asks the next backup after every refusal keeps the whole overlay busy
    // answering (thousands of Neighbor/Disconnect pairs a second at 1,000 nodes); the shuffle
    // and repair ticks top the view up instead.
    if (wasActive || this.#active.size < this.config.repairBelow) this.#refill([k], out);
  }

  #onShuffle(from: P, origin: PeerInfo<P>, nodes: readonly PeerInfo<P>[], ttl: number, out: Out<P>): void {
    if (this.#isMe(origin.id)) return;
    this.#learn(origin, out);
    if (ttl > 0 && this.#active.size > 1) {
      const skip = new Set([this.env.key(from), this.env.key(origin.id)]);
      const next = pickRandom(
        this.activePeers().filter((p) => !skip.has(this.env.key(p))),
        this.env.random,
      );
      if (next !== undefined) {
        this.#send(out, next, { t: MessageType.Shuffle, origin, nodes, ttl: ttl - 1 });
        return;
      }
    }
    const originKey = this.env.key(origin.id);
    const reply = sampleRandom(
      this.passivePeers().filter((p) => this.env.key(p) !== originKey),
      nodes.length,
      this.env.random,
    ).map((p) => this.#info(p));
    this.#send(out, origin.id, { t: MessageType.ShuffleReply, nodes: reply });
    this.#addPassive(origin, out);
    for (const node of nodes) this.#addPassive(node, out);
  }

  /** Adds a neighbour; `high` requests cannot be refused and evict a random neighbour if full. */
  #addActive(peer: P, high: boolean, out: Out<P>): boolean {
    if (this.#isMe(peer)) return false;
    const k = this.env.key(peer);
    if (this.#active.has(k)) return true;
    const full = this.#active.size >= this.config.activeViewCapacity;
    if (full && !high) return false;
    if (full) this.#evictRandomActive(k, out);
    this.#passive.delete(k);
    this.#pending.delete(k);
    this.#active.set(k, peer);
    this.#send(out, peer, { t: MessageType.Neighbor, high, data: this.#myData });
    out.push({ type: 'neighborUp', peer });
    this.listener.neighborUp(peer, out);
    return true;
  }

  #evictRandomActive(exceptKey: string, out: Out<P>): void {
    const victim = pickRandom(
      this.activePeers().filter((p) => this.env.key(p) !== exceptKey),
      this.env.random,
    );
    if (victim === undefined) return;
    this.#send(out, victim, { t: MessageType.Disconnect, alive: true });
    this.#removeActive(victim, out);
    this.#addPassive({ id: victim }, out);
  }

  #removeActive(peer: P, out: Out<P>): void {
    this.#active.delete(this.env.key(peer));
    out.push({ type: 'neighborDown', peer });
    out.push({ type: 'close', peer });
    this.listener.neighborDown(peer, out);
  }

  #addPassive(info: PeerInfo<P>, out: Out<P>): void {
    if (this.#isMe(info.id)) return;
    this.#learn(info, out);
    const k = this.env.key(info.id);
    if (this.#active.has(k) || this.#passive.has(k)) return;
    this.#setBounded(this.#passive, k, info.id);
  }

  /** Adds to a view of passive capacity, evicting a random member when it is full. */
  #setBounded(view: Map<string, P>, k: string, peer: P): void {
    if (view.size >= this.config.passiveViewCapacity && !view.has(k)) {
      const victim = pickRandom([...view.keys()], this.env.random);
      if (victim !== undefined) view.delete(victim);
    }
    view.set(k, peer);
  }

  /** Asks random backups to become neighbours until active + pending reaches capacity. */
  #refill(skipKeys: readonly string[], out: Out<P>, urgent = false): void {
    const skip = new Set(skipKeys);
    while (this.#active.size + this.#pending.size < this.config.activeViewCapacity) {
      const candidates = [...this.#passive.entries()].filter(([k]) => !skip.has(k) && !this.#pending.has(k));
      const pick = pickRandom(candidates, this.env.random);
      if (pick === undefined) return;
      this.#requestNeighbor(pick[0], pick[1], out, urgent);
    }
  }

  #requestNeighbor(k: string, peer: P, out: Out<P>, urgent = false): void {
    this.#pending.add(k);
    // With no neighbour at all (or on a sparse view's repair tick) we must not be refused.
    const high = urgent || this.#active.size === 0;
    this.#send(out, peer, { t: MessageType.Neighbor, high, data: this.#myData });
    out.push({
      type: 'timer',
      afterMs: this.config.neighborRequestTimeoutMs,
      timer: { kind: 'neighborRequest', peer },
    });
  }

  #learn(info: PeerInfo<P>, out: Out<P>): void {
    if (info.data === undefined || this.#isMe(info.id)) return;
    const k = this.env.key(info.id);
    const known = this.#data.get(k);
    if (known !== undefined && equalBytes(known, info.data)) return;
    // Bound the address memory to the peers we can actually use.
    if (
      known === undefined &&
      this.#data.size > 4 * (this.config.activeViewCapacity + this.config.passiveViewCapacity)
    ) {
      this.#pruneData();
    }
    this.#data.set(k, info.data);
    out.push({ type: 'peerData', peer: info.id, data: info.data });
  }

  #pruneData(): void {
    for (const k of this.#data.keys()) {
      if (!this.#active.has(k) && !this.#passive.has(k)) this.#data.delete(k);
    }
  }

  #info(peer: P): PeerInfo<P> {
    return { id: peer, data: this.#data.get(this.env.key(peer)) };
  }

  #isMe(peer: P): boolean {
    return this.env.key(peer) === this.env.key(this.env.me);
  }

  #send(out: Out<P>, to: P, message: GossipMessage<P>): void {
    out.push({ type: 'send', to, message });
  }
}
