/**
 * Plumtree epidemic broadcast trees (Leitão, Pereira, Rodrigues 2007), as a pure state machine.
 *
 * Payloads travel eagerly along a spanning tree of the HyParView overlay; every other neighbour
 * gets a cheap `IHave`. A duplicate prunes the edge it came over (tree shrinks to a tree), a
 * missing payload announced by `IHave` is pulled with `Graft` (tree heals), and a much shorter
 * lazy path replaces a long eager one (optimisation threshold).
 */

import { equalBytes, fromHex, toHex } from '@mosaik/id';
import type { GossipConfig } from './config.js';
import {
  type GossipEnv,
  type GossipMessage,
  type GossipOutput,
  type IHaveEntry,
  MessageType,
} from './types.js';

type Out<P> = GossipOutput<P>[];
type GossipPayload = Extract<GossipMessage<unknown>, { t: typeof MessageType.Gossip }>;

interface Source<P> {
  readonly peer: P;
  readonly round: number;
}

interface Delivery<P> {
  readonly expires: number;
  /** Round the payload arrived with (0 for our own broadcasts). */
  round: number;
  /** Peer it arrived from (`undefined` for our own broadcasts). */
  from: P | undefined;
}

/** Plumtree state of one node. */
export class Plumtree<P> {
  readonly #eager = new Map<string, P>();
  readonly #lazy = new Map<string, P>();
  /**
   * Delivered message ids → expiry (ms), the round we got the payload at and from whom: a
   * later `IHave` with a much lower round shows a shorter path (tree optimisation).
   */
  readonly #received = new Map<string, Delivery<P>>();
  /** Delivered payloads kept for `Graft` → expiry (ms). */
  readonly #cache = new Map<
    string,
    { readonly id: Uint8Array; readonly content: Uint8Array; readonly expires: number }
  >();
  /** Ids announced by `IHave` but not received yet → who announced them. */
  readonly #missing = new Map<string, Source<P>[]>();
  readonly #graftArmed = new Set<string>();
  readonly #lazyQueue = new Map<string, { readonly peer: P; readonly entries: IHaveEntry[] }>();
  #ihaveArmed = false;
  #evictArmed = false;

  constructor(
    private readonly env: GossipEnv<P>,
    private readonly config: GossipConfig,
  ) {}

  /** Peers that receive payloads eagerly (tree edges). */
  eagerPeers(): P[] {
    return [...this.#eager.values()];
  }

  /** Peers that receive `IHave` only. */
  lazyPeers(): P[] {
    return [...this.#lazy.values()];
  }

  /** Number of message ids currently remembered (for tests and metrics). */
  get rememberedIds(): number {
    return this.#received.size;
  }

  neighborUp(peer: P, _out: Out<P>): void {
    const k = this.env.key(peer);
    this.#lazy.delete(k);
    this.#eager.set(k, peer);
  }

  neighborDown(peer: P, _out: Out<P>): void {
    const k = this.env.key(peer);
    this.#eager.delete(k);
    this.#lazy.delete(k);
    this.#lazyQueue.delete(k);
    for (const [id, sources] of this.#missing) {
      const left = sources.filter((s) => this.env.key(s.peer) !== k);
      if (left.length === 0) this.#missing.delete(id);
      else this.#missing.set(id, left);
    }
  }

  /**
   * Starts a broadcast. Returns false when an identical payload was seen within the id
   * retention window (dedup is by content hash).
   */
  broadcast(content: Uint8Array, out: Out<P>, flood = false): boolean {
    const id = this.env.hash(content);
    const hex = toHex(id);
    if (this.#received.has(hex)) return false;
    this.#remember(hex, id, content, 0, undefined, out);
    const msg: GossipPayload = { t: MessageType.Gossip, id, content, round: 0 };
    if (!flood) {
      this.#push(msg, undefined, out);
      return true;
    }
    // A last word (a departure): lazy neighbours could only graft it from us after a delay,
    // and we are about to be gone, so every neighbour gets the payload itself.
    for (const peer of [...this.#eager.values(), ...this.#lazy.values()])
      out.push({ type: 'send', to: peer, message: msg as GossipMessage<P> });
    return true;
  }

  /** Handles a broadcast message; returns false when it is not one. */
  onMessage(from: P, msg: GossipMessage<P>, out: Out<P>): boolean {
    switch (msg.t) {
      case MessageType.Gossip:
        this.#onGossip(from, msg, out);
        return true;
      case MessageType.Prune:
        this.#toLazy(from);
        return true;
      case MessageType.Graft:
        this.#onGraft(from, msg.id, msg.round, out);
        return true;
      case MessageType.IHave:
        this.#onIHave(from, msg.entries, out);
        return true;
      default:
        return false;
    }
  }

  /** Graft timer: pull the payload from the next peer that announced it. */
  onGraftTimer(hex: string, out: Out<P>): void {
    const sources = this.#missing.get(hex);
    if (this.#received.has(hex) || sources === undefined || sources.length === 0) {
      this.#missing.delete(hex);
      this.#graftArmed.delete(hex);
      return;
    }
    const source = sources.shift() as Source<P>;
    if (sources.length === 0) this.#missing.delete(hex);
    this.#toEager(source.peer);
    out.push({
      type: 'send',
      to: source.peer,
      message: { t: MessageType.Graft, id: fromHex(hex), round: source.round },
    });
    // If that peer does not deliver either, try the next announcer sooner.
    out.push({ type: 'timer', afterMs: this.config.graftTimeout2Ms, timer: { kind: 'graft', id: hex } });
  }

  /** IHave dispatch timer: flush the batched lazy announcements. */
  onIHaveTimer(out: Out<P>): void {
    this.#ihaveArmed = false;
    for (const [k, { peer, entries }] of this.#lazyQueue) {
      if (!this.#lazy.has(k) && !this.#eager.has(k)) continue;
      for (let i = 0; i < entries.length; i += this.config.maxIHaveEntries) {
        out.push({
          type: 'send',
          to: peer,
          message: { t: MessageType.IHave, entries: entries.slice(i, i + this.config.maxIHaveEntries) },
        });
      }
    }
    this.#lazyQueue.clear();
  }

  /** Eviction timer: forget expired payloads and ids. */
  onEvictTimer(out: Out<P>): void {
    this.#evictArmed = false;
    const now = this.env.now();
    for (const [k, delivery] of this.#received) if (delivery.expires <= now) this.#received.delete(k);
    for (const [k, entry] of this.#cache) if (entry.expires <= now) this.#cache.delete(k);
    this.#armEvict(out);
  }

  #onGossip(from: P, msg: Extract<GossipMessage<P>, { t: typeof MessageType.Gossip }>, out: Out<P>): void {
    // The id must be the content hash, or a peer could poison dedup for a payload it never sent.
    if (!equalBytes(this.env.hash(msg.content), msg.id)) {
      out.push({ type: 'violation', peer: from, reason: 'gossip id is not the hash of its content' });
      return;
    }
    const hex = toHex(msg.id);
    if (this.#received.has(hex)) {
      // A second copy: this edge is redundant for the tree.
      if (this.#isNeighbor(from)) {
        this.#toLazy(from);
        out.push({ type: 'send', to: from, message: { t: MessageType.Prune } });
      }
      return;
    }
    this.#remember(hex, msg.id, msg.content, msg.round, from, out);
    out.push({ type: 'deliver', content: msg.content, from, round: msg.round });
    if (this.#isNeighbor(from)) this.#toEager(from);
    this.#optimize(from, hex, msg.round, out);
    this.#graftArmed.delete(hex);
    this.#push({ t: MessageType.Gossip, id: msg.id, content: msg.content, round: msg.round + 1 }, from, out);
  }

  /** A lazy path much shorter than the eager one we got the payload over replaces it. */
  #optimize(from: P, hex: string, round: number, out: Out<P>): void {
    const sources = this.#missing.get(hex);
    this.#missing.delete(hex);
    if (sources === undefined || sources.length === 0) return;
    let best = sources[0] as Source<P>;
    for (const s of sources) if (s.round < best.round) best = s;
    if (best.round < round && round - best.round >= this.config.optimizationThreshold) {
      this.#toEager(best.peer);
      out.push({ type: 'send', to: best.peer, message: { t: MessageType.Graft, round: best.round } });
      this.#toLazy(from);
      out.push({ type: 'send', to: from, message: { t: MessageType.Prune } });
    }
  }

  /**
   * The tree optimisation for announcements that come after the payload: when `from` could
   * have delivered it at least `optimizationThreshold` rounds earlier than the eager path did,
   * `from` becomes our tree parent (a `Graft` without id) and the old parent is pruned. Each
   * message triggers this at most once per better path, so the tree does not flap.
   */
  #shortcut(from: P, round: number, delivered: Delivery<P>, out: Out<P>): void {
    const parent = delivered.from;
    if (parent === undefined || delivered.round - round < this.config.optimizationThreshold) return;
    const fromKey = this.env.key(from);
    if (fromKey === this.env.key(parent) || !this.#isNeighbor(from)) return;
    delivered.round = round;
    delivered.from = from;
    this.#toEager(from);
    out.push({ type: 'send', to: from, message: { t: MessageType.Graft, round } });
    if (this.#isNeighbor(parent)) {
      this.#toLazy(parent);
      out.push({ type: 'send', to: parent, message: { t: MessageType.Prune } });
    }
  }

  #onGraft(from: P, id: Uint8Array | undefined, round: number, out: Out<P>): void {
    this.#toEager(from);
    if (id === undefined) return;
    const cached = this.#cache.get(toHex(id));
    if (cached === undefined) return;
    out.push({
      type: 'send',
      to: from,
      message: { t: MessageType.Gossip, id: cached.id, content: cached.content, round },
    });
  }

  #onIHave(from: P, entries: readonly IHaveEntry[], out: Out<P>): void {
    for (const entry of entries) {
      const hex = toHex(entry.id);
      const delivered = this.#received.get(hex);
      if (delivered !== undefined) {
        this.#shortcut(from, entry.round, delivered, out);
        continue;
      }
      const sources = this.#missing.get(hex);
      if (sources === undefined) this.#missing.set(hex, [{ peer: from, round: entry.round }]);
      else sources.push({ peer: from, round: entry.round });
      if (!this.#graftArmed.has(hex)) {
        this.#graftArmed.add(hex);
        out.push({ type: 'timer', afterMs: this.config.graftTimeout1Ms, timer: { kind: 'graft', id: hex } });
      }
    }
  }

  #push(msg: GossipPayload, except: P | undefined, out: Out<P>): void {
    const skip = except === undefined ? undefined : this.env.key(except);
    for (const [k, peer] of this.#eager) {
      if (k !== skip) out.push({ type: 'send', to: peer, message: msg as GossipMessage<P> });
    }
    for (const [k, peer] of this.#lazy) {
      if (k === skip) continue;
      const queued = this.#lazyQueue.get(k);
      const entry = { id: msg.id, round: msg.round };
      if (queued === undefined) this.#lazyQueue.set(k, { peer, entries: [entry] });
      else queued.entries.push(entry);
    }
    if (this.#lazyQueue.size > 0 && !this.#ihaveArmed) {
      this.#ihaveArmed = true;
      out.push({ type: 'timer', afterMs: this.config.ihaveDispatchDelayMs, timer: { kind: 'ihave' } });
    }
  }

  #remember(
    hex: string,
    id: Uint8Array,
    content: Uint8Array,
    round: number,
    from: P | undefined,
    out: Out<P>,
  ): void {
    const now = this.env.now();
    this.#received.set(hex, { expires: now + this.config.messageIdRetentionMs, round, from });
    this.#cache.set(hex, { id, content, expires: now + this.config.messageCacheRetentionMs });
    this.#armEvict(out);
  }

  #armEvict(out: Out<P>): void {
    if (this.#evictArmed || (this.#received.size === 0 && this.#cache.size === 0)) return;
    this.#evictArmed = true;
    out.push({ type: 'timer', afterMs: this.config.cacheEvictIntervalMs, timer: { kind: 'evict' } });
  }

  #isNeighbor(peer: P): boolean {
    const k = this.env.key(peer);
    return this.#eager.has(k) || this.#lazy.has(k);
  }

  #toEager(peer: P): void {
    const k = this.env.key(peer);
    if (!this.#lazy.delete(k) && !this.#eager.has(k)) return; // not a neighbour
    this.#eager.set(k, peer);
  }

  #toLazy(peer: P): void {
    const k = this.env.key(peer);
    if (!this.#eager.delete(k) && !this.#lazy.has(k)) return;
    this.#lazy.set(k, peer);
  }
}
