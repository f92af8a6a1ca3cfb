/**
 * Plumtree epidemic broadcast trees (Leitão, Pereira, Rodrigues 2007), as a pure state machine.
 *
 * Payloads travel eagerly along a spanning tree of the HyParView overlay; every other neighbour
 * gets a cheap `IHave`. A duplicate prunes the edge it came over (tree shrinks to a tree), a
 * missing payload announced by `IHave` is pulled with `Graft` (tree heals), and a much shorter
 * lazy path replaces a long eager one (optimisation threshold).
 *
 * One tree shared by every origin is deep: a payload from a leaf climbs to the middle and down
 * again, and an optimisation that shortens one origin's path lengthens another's, so the shared
 * tree never settles when many nodes broadcast. So each origin gets a tree of its own: payloads
 * carry a short label of their origin (the root), and `Prune`/`Graft` name the root they mean.
 * A root's first payload goes to every neighbour and the losing copies prune their edges, which
 * leaves the fastest paths from that root. With uneven link latencies some of those are long
 * (many fast links beat one slow link), so a root's tree also moves to a path that saves a couple
 * of rounds at a small cost in time; the first payload's duplicates already show such paths, and
 * later `IHave`s do too. A node keeps the eager sets of the `maxRootTrees` most recently seen
 * roots. The paper's single shared tree stays for payloads without a root (from older nodes).
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

/**
 * Length of a root label. Eight bytes make two origins of a 10,000-node swarm share a label
 * with odds of about 3e-12; a shared label only means those two share a tree.
 */
export const ROOT_LABEL_BYTES = 8;
type GossipPayload = Extract<GossipMessage<unknown>, { t: typeof MessageType.Gossip }>;

interface Source<P> {
  readonly peer: P;
  readonly round: number;
}

interface Delivery<P> {
  readonly expires: number;
  /** Hex of the payload's root, `undefined` when it came without one (an older node). */
  readonly root: string | undefined;
  /** Round the payload arrived with (0 for our own broadcasts). */
  round: number;
  /** Peer it arrived from (`undefined` for our own broadcasts). */
  from: P | undefined;
  /** When the payload arrived, ms: a shorter path that shows up much later is a slower one. */
  readonly at: number;
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
    {
      readonly id: Uint8Array;
      readonly content: Uint8Array;
      readonly root: Uint8Array | undefined;
      readonly expires: number;
    }
  >();
  /**
   * Per-root eager sets (hex of the root → keys of the neighbours that get that root's payloads),
   * least recently used first. A rooted tree only pushes away from its root, so a node's set
   * holds its children: at first every neighbour but the parent, then those that neither pruned
   * nor left us, plus those that grafted us.
   */
  readonly #trees = new Map<string, Set<string>>();
  /** Our own root label: the first bytes of the hash of our key. */
  readonly #root: Uint8Array;
  /** Ids announced by `IHave` but not received yet → who announced them. */
  readonly #missing = new Map<string, Source<P>[]>();
  readonly #graftArmed = new Set<string>();
  readonly #lazyQueue = new Map<string, { readonly peer: P; readonly entries: IHaveEntry[] }>();
  #ihaveArmed = false;
  #evictArmed = false;
  #optimizations = 0;

  constructor(
    private readonly env: GossipEnv<P>,
    private readonly config: GossipConfig,
  ) {
    this.#root = env.hash(new TextEncoder().encode(env.key(env.me))).slice(0, ROOT_LABEL_BYTES);
  }

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

  /** Tree optimisations (a shorter lazy path replaced the eager one) so far. */
  get optimizations(): number {
    return this.#optimizations;
  }

  /** Number of per-root trees kept (at most `maxRootTrees`). */
  get rootTrees(): number {
    return this.#trees.size;
  }

  /** Our root label, carried by our broadcasts. */
  get root(): Uint8Array {
    return this.#root;
  }

  /** Neighbours that get the payloads of `root` eagerly (every neighbour while we keep no tree). */
  eagerPeersOf(root: Uint8Array): P[] {
    const tree = this.#trees.get(toHex(root));
    return this.#neighbors()
      .filter(([k]) => tree === undefined || tree.has(k))
      .map(([, p]) => p);
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
    for (const tree of this.#trees.values()) tree.delete(k);
    for (const [id, sources] of this.#missing) {
      const left = sources.filter((s) => this.env.key(s.peer) !== k);
      if (left.length === 0) this.#missing.delete(id);
      else this.#missing.set(id, left);
    }
  }

  /**
   * Starts a broadcast. Returns false when an identical payload was seen within the id
   * retention window (dedup is by content hash). With `flood`, such a payload is sent on at once
   * to every neighbour but the one it came from: a last word relayed (a departure) would
   * otherwise reach our lazy neighbours only through an `IHave` and a `Graft`, two more trips per
   * hop, which take seconds on a busy host.
   */
  broadcast(content: Uint8Array, out: Out<P>, flood = false): boolean {
    const id = this.env.hash(content);
    const hex = toHex(id);
    const delivered = this.#received.get(hex);
    if (delivered !== undefined) {
      if (flood) this.#floodOn(id, content, delivered, out);
      return false;
    }
    this.#remember(hex, id, content, 0, undefined, this.#root, out);
    const msg: GossipPayload = { t: MessageType.Gossip, id, content, round: 0, root: this.#root };
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

  /** Sends a payload we delivered to every neighbour but the one it came from. */
  #floodOn(id: Uint8Array, content: Uint8Array, delivered: Delivery<P>, out: Out<P>): void {
    const root = delivered.root === undefined ? undefined : fromHex(delivered.root);
    const msg: GossipPayload = { t: MessageType.Gossip, id, content, round: delivered.round + 1, root };
    const from = delivered.from === undefined ? undefined : this.env.key(delivered.from);
    for (const [k, peer] of this.#neighbors()) {
      if (k !== from) out.push({ type: 'send', to: peer, message: msg as GossipMessage<P> });
    }
  }

  /** Handles a broadcast message; returns false when it is not one. */
  onMessage(from: P, msg: GossipMessage<P>, out: Out<P>): boolean {
    switch (msg.t) {
      case MessageType.Gossip:
        this.#onGossip(from, msg, out);
        return true;
      case MessageType.Prune:
        this.#onPrune(from, msg.root);
        return true;
      case MessageType.Graft:
        this.#onGraft(from, msg.id, msg.round, msg.root, out);
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
    const hex = toHex(msg.id);
    const root = msg.root === undefined ? undefined : toHex(msg.root);
    const delivered = this.#received.get(hex);
    // The id of a new payload must be its content hash, or a peer could poison dedup for a
    // payload it never sent. A copy of a delivered one is not hashed: its content is dropped, and
    // a wrong one only prunes the sender's own edge.
    if (delivered === undefined && !equalBytes(this.env.hash(msg.content), msg.id)) {
      out.push({ type: 'violation', peer: from, reason: 'gossip id is not the hash of its content' });
      return;
    }
    if (delivered !== undefined) {
      // A second copy: this edge is redundant for the tree, unless it came over a path so much
      // shorter that it should become the tree's (a root's first payload floods every link, so
      // its duplicates show the short paths before any IHave does).
      if (this.#isNeighbor(from) && !this.#reparent(from, msg.round, delivered, false, out)) {
        this.#prune(from, root, msg.root, out);
      }
      return;
    }
    this.#remember(hex, msg.id, msg.content, msg.round, from, msg.root, out);
    out.push({ type: 'deliver', content: msg.content, from, round: msg.round });
    if (this.#isNeighbor(from)) {
      // Our parent in a rooted tree is never our child; in the shared tree every edge is both.
      if (root !== undefined) this.#tree(root).delete(this.env.key(from));
      else this.#toEager(from);
    }
    this.#optimize(hex, out);
    this.#graftArmed.delete(hex);
    this.#push(
      { t: MessageType.Gossip, id: msg.id, content: msg.content, round: msg.round + 1, root: msg.root },
      from,
      out,
    );
  }

  /**
   * Stops `peer` pushing `root`'s payloads (the shared tree's, without a root) to us. A shared
   * tree edge is lazy both ways from now on. In a root's tree we only tell `peer` to stop: if it
   * is our child it stays one, for it may have made us its parent after it sent us this copy (a
   * shorter path), and if it is not, its own `Prune` or its becoming our parent removes it.
   */
  #prune(peer: P, root: string | undefined, label: Uint8Array | undefined, out: Out<P>): void {
    if (root === undefined) this.#toLazy(peer);
    out.push({ type: 'send', to: peer, message: { t: MessageType.Prune, root: label } });
  }

  /** Makes `peer` our parent for `root` (the shared tree without one): it pushes to us from now on. */
  #graft(peer: P, round: number, label: Uint8Array | undefined, out: Out<P>): void {
    if (label === undefined) this.#toEager(peer);
    out.push({ type: 'send', to: peer, message: { t: MessageType.Graft, round, root: label } });
  }

  /** A lazy path announced before the payload came, much shorter than the eager one, replaces it. */
  #optimize(hex: string, out: Out<P>): void {
    const sources = this.#missing.get(hex);
    this.#missing.delete(hex);
    const delivered = this.#received.get(hex);
    if (sources === undefined || delivered === undefined) return;
    let best: Source<P> | undefined;
    for (const s of sources) if (best === undefined || s.round < best.round) best = s;
    if (best !== undefined) this.#reparent(best.peer, best.round, delivered, true, out);
  }

  /**
   * The tree optimisation: when `peer` could have delivered the payload at least the threshold
   * of rounds earlier than our tree parent did, `peer` becomes our parent and the old parent is
   * pruned. `peer` announced the payload with an `IHave` (and is asked to push with a `Graft`
   * without id), or sent a duplicate copy (so it pushes to us already). The delivery then counts
   * with the better round, so each message moves the tree at most once per better path and the
   * tree does not flap.
   * @returns whether `peer` became our parent.
   */
  #reparent(peer: P, round: number, delivered: Delivery<P>, announced: boolean, out: Out<P>): boolean {
    const parent = delivered.from;
    const saved = delivered.round - round;
    if (parent === undefined || saved < this.#threshold(delivered.root)) return false;
    if (delivered.root !== undefined) {
      // How much later the payload would have come over `peer` (an IHave waits for its batch).
      const dispatch = announced ? this.config.ihaveDispatchDelayMs : 0;
      const lateness = this.env.now() - dispatch - delivered.at;
      if (lateness > saved * this.config.rootTreeDelayPerRoundMs) return false;
    }
    const peerKey = this.env.key(peer);
    if (peerKey === this.env.key(parent) || !this.#isNeighbor(peer)) return false;
    delivered.round = round;
    delivered.from = peer;
    this.#optimizations++;
    const label = delivered.root === undefined ? undefined : fromHex(delivered.root);
    if (announced) this.#graft(peer, round, label, out);
    else if (label === undefined) this.#toEager(peer);
    if (delivered.root !== undefined) this.#tree(delivered.root).delete(peerKey);
    if (this.#isNeighbor(parent)) this.#prune(parent, delivered.root, label, out);
    return true;
  }

  /**
   * Rounds a path must save to replace a tree edge. The shared tree keeps the paper's value: it
   * serves every origin, and an edge that shortens one origin's paths lengthens another's, so
   * only a large saving is worth the change. A root's tree serves one origin: a small saving
   * lengthens no other origin's paths, and the tree still settles, as every move shortens one.
   */
  #threshold(root: string | undefined): number {
    return root === undefined ? this.config.optimizationThreshold : this.config.rootTreeOptimizationThreshold;
  }

  #onGraft(
    from: P,
    id: Uint8Array | undefined,
    round: number,
    root: Uint8Array | undefined,
    out: Out<P>,
  ): void {
    const cached = id === undefined ? undefined : this.#cache.get(toHex(id));
    const label = root ?? cached?.root;
    // Only a neighbour joins a tree; anyone who asks for a payload we hold still gets it (views
    // can disagree for a moment, and the asker may have no other announcer left).
    if (this.#isNeighbor(from)) {
      if (label !== undefined) this.#tree(toHex(label)).add(this.env.key(from));
      else this.#toEager(from);
    }
    if (cached === undefined) return;
    out.push({
      type: 'send',
      to: from,
      message: { t: MessageType.Gossip, id: cached.id, content: cached.content, round, root: cached.root },
    });
  }

  #onPrune(from: P, root: Uint8Array | undefined): void {
    const k = this.env.key(from);
    if (root !== undefined) {
      this.#tree(toHex(root)).delete(k);
      return;
    }
    // An older node has one tree: its Prune means no payload of any root.
    this.#toLazy(from);
    for (const tree of this.#trees.values()) tree.delete(k);
  }

  #onIHave(from: P, entries: readonly IHaveEntry[], out: Out<P>): void {
    for (const entry of entries) {
      const hex = toHex(entry.id);
      const delivered = this.#received.get(hex);
      if (delivered !== undefined) {
        this.#reparent(from, entry.round, delivered, true, out);
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
    const tree = msg.root === undefined ? this.#eager : this.#tree(toHex(msg.root));
    const entry = { id: msg.id, round: msg.round };
    for (const [k, peer] of this.#neighbors()) {
      if (k === skip) continue;
      if (tree.has(k)) {
        out.push({ type: 'send', to: peer, message: msg as GossipMessage<P> });
        continue;
      }
      const queued = this.#lazyQueue.get(k);
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
    root: Uint8Array | undefined,
    out: Out<P>,
  ): void {
    const now = this.env.now();
    this.#received.set(hex, {
      expires: now + this.config.messageIdRetentionMs,
      root: root === undefined ? undefined : toHex(root),
      round,
      from,
      at: now,
    });
    this.#cache.set(hex, { id, content, root, expires: now + this.config.messageCacheRetentionMs });
    this.#armEvict(out);
  }

  #armEvict(out: Out<P>): void {
    if (this.#evictArmed || (this.#received.size === 0 && this.#cache.size === 0)) return;
    this.#evictArmed = true;
    out.push({ type: 'timer', afterMs: this.config.cacheEvictIntervalMs, timer: { kind: 'evict' } });
  }

  /**
   * The eager set of `root`, most recently used now. A root's first payload goes to every
   * neighbour, so its tree starts as the fastest paths from the root (the copies that lose the
   * race prune their edges), as the paper's first broadcast does. Past `maxRootTrees` the least
   * recently used tree is forgotten; its root's next payload floods our links again.
   */
  #tree(root: string): Set<string> {
    let tree = this.#trees.get(root);
    if (tree !== undefined) {
      this.#trees.delete(root);
      this.#trees.set(root, tree);
      return tree;
    }
    if (this.#trees.size >= this.config.maxRootTrees) {
      this.#trees.delete(this.#trees.keys().next().value as string);
    }
    tree = new Set([...this.#eager.keys(), ...this.#lazy.keys()]);
    this.#trees.set(root, tree);
    return tree;
  }

  /** Every neighbour, eager ones first (the shared tree's split). */
  #neighbors(): [string, P][] {
    return [...this.#eager.entries(), ...this.#lazy.entries()];
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
