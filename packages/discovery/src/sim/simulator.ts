/**
 * Discrete-event simulator for the gossip engine: virtual time, seeded randomness, per-link FIFO
 * latency, node crashes with delayed failure detection. Nodes are numbered 0..n-1.
 */
import type { GossipConfig } from '../gossip/config.js';
import { GossipEngine } from '../gossip/engine.js';
import { type GossipInput, type GossipMessage, type GossipOutput, MessageType } from '../gossip/types.js';
import { EventHeap } from './heap.js';
import { fastDigest, seededRandom } from './prng.js';

/** Options of a {@link GossipSimulator}. */
export interface SimulatorOptions {
  /** Seed of every random choice (latency, engines, crashes). */
  readonly seed: number;
  /** One-way message latency range, ms (uniform). Default [5, 40]. */
  readonly latencyMs?: readonly [number, number];
  /** How long until a node notices that a connected neighbour crashed, ms. Default 1500. */
  readonly failureDetectionMs?: number;
  /** How long a send/dial to a crashed node takes to fail, ms. Default 300. */
  readonly dialFailureMs?: number;
  /** Gossip parameter overrides. */
  readonly config?: Partial<GossipConfig>;
  /** Message-id hash; defaults to a fast non-cryptographic digest. */
  readonly hash?: (content: Uint8Array) => Uint8Array;
  /**
   * Contacts a node joins when it lost its last neighbour (the discovery layer re-joins through
   * catalog peers, so an isolated node finds the overlay again). Default 3; 0 disables.
   */
  readonly rejoinContacts?: number;
}

/** A delivery observed by the simulator. */
export interface Delivery {
  readonly node: number;
  readonly content: Uint8Array;
  readonly at: number;
  /** Hops from the origin (1 for a direct neighbour). */
  readonly hops: number;
}

/** The discovery layer notices "no neighbours" on its next event-loop turn; model a short delay. */
const REJOIN_DELAY_MS = 1000;

interface SimEvent {
  readonly at: number;
  readonly seq: number;
  readonly node: number;
  readonly input: GossipInput<number>;
}

/** Counters since the last {@link GossipSimulator.resetCounters}. */
export interface SimCounters {
  /** Messages sent, by message type tag. */
  readonly messagesByType: Map<number, number>;
  /** Messages sent in total. */
  readonly messages: number;
  /** Broadcast-layer messages (Gossip, Prune, Graft, IHave) sent, per node. */
  readonly broadcastMessagesByNode: Uint32Array;
  /** Broadcast-layer messages received (sent to it while it was alive), per node. */
  readonly broadcastMessagesReceivedByNode: Uint32Array;
  /** Messages of any kind sent, per node. */
  readonly messagesByNode: Uint32Array;
}

/** Runs `n` gossip engines against each other in virtual time (see the module comment). */
export class GossipSimulator {
  readonly engines: GossipEngine<number>[] = [];
  readonly crashed = new Set<number>();
  readonly random: () => number;
  #now = 0;
  #seq = 0;
  readonly #queue = new EventHeap<SimEvent>();
  readonly #linkClock = new Map<number, number>();
  readonly #linkBase = new Map<number, number>();
  readonly #latency: readonly [number, number];
  readonly #failureDetectionMs: number;
  readonly #dialFailureMs: number;
  readonly #rejoinContacts: number;
  readonly #everJoined = new Set<number>();
  readonly #rejoinPending = new Set<number>();
  #messagesByType = new Map<number, number>();
  #messages = 0;
  readonly #broadcastByNode: Uint32Array;
  readonly #broadcastReceivedByNode: Uint32Array;
  readonly #messagesByNode: Uint32Array;
  /** Called on every delivery; the scenario uses it to account per-broadcast reach. */
  onDeliver: ((d: Delivery) => void) | undefined;

  constructor(
    readonly size: number,
    options: SimulatorOptions,
  ) {
    this.random = seededRandom(options.seed);
    this.#broadcastByNode = new Uint32Array(size);
    this.#broadcastReceivedByNode = new Uint32Array(size);
    this.#messagesByNode = new Uint32Array(size);
    this.#latency = options.latencyMs ?? [5, 40];
    this.#failureDetectionMs = options.failureDetectionMs ?? 1500;
    this.#dialFailureMs = options.dialFailureMs ?? 300;
    this.#rejoinContacts = options.rejoinContacts ?? 3;
    const hash = options.hash ?? fastDigest;
    for (let i = 0; i < size; i++) {
      const engine = new GossipEngine<number>({
        me: i,
        key: String,
        now: () => this.#now,
        random: seededRandom(options.seed * 7919 + i + 1),
        hash,
        config: options.config ?? {},
      });
      this.engines.push(engine);
      this.#apply(i, engine.start());
    }
  }

  /** Current virtual time, ms. */
  get now(): number {
    return this.#now;
  }

  /** Nodes that have not crashed. */
  alive(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.size; i++) if (!this.crashed.has(i)) out.push(i);
    return out;
  }

  /** Feeds an input to a node at `now + delayMs`. */
  schedule(node: number, input: GossipInput<number>, delayMs = 0): void {
    this.#queue.push({ at: this.#now + delayMs, seq: this.#seq++, node, input });
  }

  /** Starts a broadcast from `node` now. */
  broadcast(node: number, content: Uint8Array): void {
    this.schedule(node, { type: 'broadcast', content });
  }

  /** Crashes nodes: they stop at once; connected neighbours notice after the detection delay. */
  crash(nodes: readonly number[]): void {
    for (const n of nodes) this.crashed.add(n);
    for (const n of nodes) {
      for (const peer of this.engines[n]?.neighbors() ?? []) {
        if (!this.crashed.has(peer))
          this.schedule(peer, { type: 'disconnected', peer: n }, this.#failureDetectionMs);
      }
    }
  }

  /** Runs events up to `now + ms` (inclusive) and advances the clock there. */
  runFor(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const next = this.#queue.peek();
      if (next === undefined || next.at > end) break;
      this.#queue.pop();
      this.#now = next.at;
      this.#step(next);
    }
    this.#now = end;
  }

  /** Message counters since the last reset. */
  counters(): SimCounters {
    return {
      messagesByType: new Map(this.#messagesByType),
      messages: this.#messages,
      broadcastMessagesByNode: Uint32Array.from(this.#broadcastByNode),
      broadcastMessagesReceivedByNode: Uint32Array.from(this.#broadcastReceivedByNode),
      messagesByNode: Uint32Array.from(this.#messagesByNode),
    };
  }

  resetCounters(): void {
    this.#messagesByType = new Map();
    this.#messages = 0;
    this.#broadcastByNode.fill(0);
    this.#broadcastReceivedByNode.fill(0);
    this.#messagesByNode.fill(0);
  }

  /**
   * Whether the alive nodes form one connected overlay (over active views) in which every node
   * has at least one neighbour.
   */
  isConnected(): boolean {
    const alive = this.alive();
    const start = alive[0];
    if (start === undefined) return true;
    const seen = new Set<number>([start]);
    const stack = [start];
    while (stack.length > 0) {
      const n = stack.pop() as number;
      for (const p of this.engines[n]?.neighbors() ?? []) {
        if (this.crashed.has(p) || seen.has(p)) continue;
        seen.add(p);
        stack.push(p);
      }
    }
    return seen.size === alive.length;
  }

  #step(ev: SimEvent): void {
    if (this.crashed.has(ev.node)) return;
    const engine = this.engines[ev.node] as GossipEngine<number>;
    if (ev.input.type === 'join') this.#rejoinPending.delete(ev.node);
    this.#apply(ev.node, engine.handle(ev.input));
    if (engine.isJoined()) this.#everJoined.add(ev.node);
    else if (this.#rejoinContacts > 0 && this.#everJoined.has(ev.node) && !this.#rejoinPending.has(ev.node)) {
      this.#scheduleRejoin(ev.node);
    }
  }

  #apply(node: number, outputs: readonly GossipOutput<number>[]): void {
    for (const o of outputs) {
      switch (o.type) {
        case 'send':
          this.#send(node, o.to, o.message);
          break;
        case 'timer':
          this.schedule(node, { type: 'timer', timer: o.timer }, o.afterMs);
          break;
        case 'deliver':
          this.onDeliver?.({ node, content: o.content, at: this.#now, hops: o.round + 1 });
          break;
        default:
          break;
      }
    }
  }

  #scheduleRejoin(node: number): void {
    this.#rejoinPending.add(node);
    const peers = [];
    for (let i = 0; i < this.#rejoinContacts; i++) {
      const p = Math.floor(this.random() * this.size);
      if (p !== node) peers.push({ id: p });
    }
    // Like the discovery layer: re-join through catalog peers, which may include dead ones.
    this.schedule(node, { type: 'join', peers }, REJOIN_DELAY_MS);
  }

  /**
   * One-way latency of a message on the link between two nodes: a base drawn once per link
   * (uniform over `latencyMs`; it is the path's property, the same both ways) plus up to 10 %
   * jitter per message. Drawing every message's latency afresh from the whole range made every
   * broadcast take a different fastest path, which no broadcast tree can follow.
   */
  #linkLatency(a: number, b: number): number {
    const key = Math.min(a, b) * this.size + Math.max(a, b);
    let base = this.#linkBase.get(key);
    if (base === undefined) {
      const [lo, hi] = this.#latency;
      base = lo + this.random() * (hi - lo);
      this.#linkBase.set(key, base);
    }
    return base * (1 + 0.1 * this.random());
  }

  #send(from: number, to: number, message: GossipMessage<number>): void {
    this.#messages++;
    this.#messagesByNode[from] = (this.#messagesByNode[from] ?? 0) + 1;
    this.#messagesByType.set(message.t, (this.#messagesByType.get(message.t) ?? 0) + 1);
    const broadcastLayer = message.t >= MessageType.Gossip;
    if (broadcastLayer) this.#broadcastByNode[from] = (this.#broadcastByNode[from] ?? 0) + 1;
    if (this.crashed.has(to)) {
      this.schedule(from, { type: 'disconnected', peer: to }, this.#dialFailureMs);
      return;
    }
    if (broadcastLayer) this.#broadcastReceivedByNode[to] = (this.#broadcastReceivedByNode[to] ?? 0) + 1;
    const link = from * this.size + to;
    // One QUIC stream per direction: messages on a link arrive in order.
    const at = Math.max(this.#now + this.#linkLatency(from, to), this.#linkClock.get(link) ?? 0);
    this.#linkClock.set(link, at);
    this.#queue.push({ at, seq: this.#seq++, node: to, input: { type: 'message', from, message } });
  }
}
