/** Tunables of the gossip layer; defaults are iroh-gossip's, so a mixed network forms the same overlay. */
export interface GossipConfig {
  /** HyParView active view capacity (neighbours). */
  readonly activeViewCapacity: number;
  /** HyParView passive view capacity (backup peers). */
  readonly passiveViewCapacity: number;
  /** Active random walk length: the TTL of a `ForwardJoin`. */
  readonly activeRandomWalkLength: number;
  /** Passive random walk length: a `ForwardJoin` at this TTL also lands in the passive view. */
  readonly passiveRandomWalkLength: number;
  /** TTL of a `Shuffle` walk. */
  readonly shuffleRandomWalkLength: number;
  /** Active-view entries sent in a shuffle. */
  readonly shuffleActiveCount: number;
  /** Passive-view entries sent in a shuffle. */
  readonly shufflePassiveCount: number;
  /** Period of the shuffle, ms. */
  readonly shuffleIntervalMs: number;
  /**
   * Period at which a sparse active view asks backups to become neighbours, ms. Not in
   * the reference: nodes that all join at once can split into islands that no random walk
   * connects, and the 60 s shuffle is too slow to heal that.
   */
  readonly repairIntervalMs: number;
  /** Views with fewer neighbours than this repair (see `repairIntervalMs`). */
  readonly repairBelow: number;
  /** How long a neighbour request may stay unanswered, ms. */
  readonly neighborRequestTimeoutMs: number;
  /** Plumtree: wait after the first `IHave` before grafting, ms. */
  readonly graftTimeout1Ms: number;
  /** Plumtree: wait between grafts to further `IHave` senders, ms. */
  readonly graftTimeout2Ms: number;
  /** Plumtree: `IHave` entries are batched for this long, ms. */
  readonly ihaveDispatchDelayMs: number;
  /** Plumtree: round difference that triggers an optimisation of the shared tree. */
  readonly optimizationThreshold: number;
  /**
   * Plumtree: round difference that triggers an optimisation of one origin's tree. Not in the
   * reference, which has only the shared tree: a tree of one origin can follow shorter paths
   * without lengthening another origin's, so a smaller saving is worth an edge swap.
   */
  readonly rootTreeOptimizationThreshold: number;
  /**
   * Plumtree: a path that saves rounds replaces an edge of a root's tree only if it delivers at
   * most this much later per round saved, ms. Not in the reference: with uneven link latencies
   * the fastest paths can be long, and the fewest hops can be slow; this bounds the trade.
   */
  readonly rootTreeDelayPerRoundMs: number;
  /**
   * Plumtree: how many origins keep a broadcast tree of their own (least recently used ones are
   * forgotten and fall back to the shared tree). Not in the reference: one tree shared by every
   * origin is deep, because a path between two leaves crosses the whole tree.
   */
  readonly maxRootTrees: number;
  /** Plumtree: how long delivered payloads stay available for `Graft`, ms. */
  readonly messageCacheRetentionMs: number;
  /** Plumtree: how long a delivered message id suppresses duplicates, ms. */
  readonly messageIdRetentionMs: number;
  /** Plumtree: cache eviction period, ms. */
  readonly cacheEvictIntervalMs: number;
  /** Largest payload `broadcast` accepts, bytes (the frame cap of the announce ALPN). */
  readonly maxPayloadSize: number;
  /** Most `IHave` entries in one message (keeps the frame under the cap). */
  readonly maxIHaveEntries: number;
}

/** Reference defaults. */
export const DEFAULT_GOSSIP_CONFIG: GossipConfig = Object.freeze({
  activeViewCapacity: 5,
  passiveViewCapacity: 30,
  activeRandomWalkLength: 6,
  passiveRandomWalkLength: 3,
  shuffleRandomWalkLength: 6,
  shuffleActiveCount: 3,
  shufflePassiveCount: 4,
  shuffleIntervalMs: 60_000,
  repairIntervalMs: 2_000,
  repairBelow: 3,
  neighborRequestTimeoutMs: 500,
  graftTimeout1Ms: 80,
  graftTimeout2Ms: 40,
  ihaveDispatchDelayMs: 5,
  optimizationThreshold: 7,
  rootTreeOptimizationThreshold: 2,
  rootTreeDelayPerRoundMs: 20,
  maxRootTrees: 1024,
  messageCacheRetentionMs: 30_000,
  messageIdRetentionMs: 90_000,
  cacheEvictIntervalMs: 1_000,
  maxPayloadSize: 4096,
  maxIHaveEntries: 64,
});
