/**
 * The gossip engine of one node: HyParView membership + Plumtree broadcast over it, with no
 * I/O. A driver (the network adapter, or the simulator) feeds inputs to {@link GossipEngine.handle}
 * and carries out the returned outputs in order: send messages, arm timers, report deliveries.
 */
import { GossipPayloadTooLargeError } from '../errors.js';
import { DEFAULT_GOSSIP_CONFIG, type GossipConfig } from './config.js';
import { HyParView } from './hyparview.js';
import { Plumtree } from './plumtree.js';
import type { GossipEnv, GossipInput, GossipOutput, PeerInfo } from './types.js';

/** Options of a {@link GossipEngine}. */
export interface GossipEngineOptions<P> extends GossipEnv<P> {
  /** Overrides of the reference parameters. */
  readonly config?: Partial<GossipConfig>;
  /** Our address data, sent to peers so they can dial us back. */
  readonly data?: Uint8Array;
}

/** HyParView + Plumtree state machine of one node. */
export class GossipEngine<P> {
  readonly config: GossipConfig;
  readonly #membership: HyParView<P>;
  readonly #broadcast: Plumtree<P>;
  #started = false;

  constructor(private readonly options: GossipEngineOptions<P>) {
    this.config = { ...DEFAULT_GOSSIP_CONFIG, ...options.config };
    this.#broadcast = new Plumtree(options, this.config);
    this.#membership = new HyParView(options, this.config, this.#broadcast, options.data);
  }

  /** Our identity. */
  get me(): P {
    return this.options.me;
  }

  /** Current neighbours (the active view). */
  neighbors(): P[] {
    return this.#membership.activePeers();
  }

  /** Backup peers (the passive view). */
  passivePeers(): P[] {
    return this.#membership.passivePeers();
  }

  /** Peers on the shared tree's edges (payloads without a root, from older nodes). */
  eagerPeers(): P[] {
    return this.#broadcast.eagerPeers();
  }

  /** Neighbours that only get `IHave` for payloads without a root. */
  lazyPeers(): P[] {
    return this.#broadcast.lazyPeers();
  }

  /** The root label our broadcasts carry (their tree's name). */
  get broadcastRoot(): Uint8Array {
    return this.#broadcast.root;
  }

  /** Neighbours that get the payloads of `root` eagerly (our children in that root's tree). */
  eagerPeersOf(root: Uint8Array): P[] {
    return this.#broadcast.eagerPeersOf(root);
  }

  /** Broadcast-tree counters: optimisations done so far and per-root trees kept now. */
  treeStats(): { readonly optimizations: number; readonly rootTrees: number } {
    return { optimizations: this.#broadcast.optimizations, rootTrees: this.#broadcast.rootTrees };
  }

  /** `true` while we have at least one neighbour. */
  isJoined(): boolean {
    return this.neighbors().length > 0;
  }

  /** Whether `content` fits the payload cap. */
  fits(content: Uint8Array): boolean {
    return content.length <= this.config.maxPayloadSize;
  }

  /** Arms the periodic shuffle. Call once before feeding inputs. */
  start(): GossipOutput<P>[] {
    if (this.#started) return [];
    this.#started = true;
    return [
      { type: 'timer', afterMs: this.config.shuffleIntervalMs, timer: { kind: 'shuffle' } },
      { type: 'timer', afterMs: this.config.repairIntervalMs, timer: { kind: 'repair' } },
    ];
  }

  /**
   * Feeds one input; returns the outputs to carry out, in order.
   * @throws {GossipPayloadTooLargeError} on a `broadcast` larger than `maxPayloadSize`.
   */
  handle(input: GossipInput<P>): GossipOutput<P>[] {
    const out: GossipOutput<P>[] = [];
    switch (input.type) {
      case 'join':
        this.#membership.join(input.peers as readonly PeerInfo<P>[], out);
        break;
      case 'suggest':
        this.#membership.suggest(input.peers as readonly PeerInfo<P>[], out);
        break;
      case 'broadcast':
        if (!this.fits(input.content)) {
          throw new GossipPayloadTooLargeError(input.content.length, this.config.maxPayloadSize);
        }
        this.#broadcast.broadcast(input.content, out, input.flood === true);
        break;
      case 'message':
        if (!this.#membership.onMessage(input.from, input.message, out)) {
          this.#broadcast.onMessage(input.from, input.message, out);
        }
        break;
      case 'disconnected':
        this.#membership.onDisconnected(input.peer, out);
        break;
      case 'forget':
        this.#membership.forget(input.peer, out);
        break;
      case 'setData':
        this.#membership.setData(input.data);
        break;
      case 'leave':
        this.#membership.leave(out);
        break;
      case 'timer':
        this.#onTimer(input.timer, out);
        break;
    }
    return out;
  }

  #onTimer(timer: Extract<GossipInput<P>, { type: 'timer' }>['timer'], out: GossipOutput<P>[]): void {
    switch (timer.kind) {
      case 'shuffle':
        this.#membership.onShuffleTimer(out);
        return;
      case 'repair':
        this.#membership.onRepairTimer(out);
        return;
      case 'neighborRequest':
        this.#membership.onNeighborRequestTimeout(timer.peer, out);
        return;
      case 'graft':
        this.#broadcast.onGraftTimer(timer.id, out);
        return;
      case 'ihave':
        this.#broadcast.onIHaveTimer(out);
        return;
      case 'evict':
        this.#broadcast.onEvictTimer(out);
        return;
    }
  }
}
