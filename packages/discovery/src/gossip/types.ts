/**
 * Messages, inputs and outputs of the pure gossip engine. The engine is generic over the peer
 * identity `P` (a `PeerId` on the network, a number in the simulator); the announce ALPN schema
 * (`../protocol/announce.ts`) maps these messages to CBOR.
 */

/** A peer and, when known, its opaque address data (CBOR of an endpoint address). */
export interface PeerInfo<P> {
  readonly id: P;
  readonly data?: Uint8Array | undefined;
}

/** Message type tags (the `t` field); shared with the wire schema. */
export const MessageType = {
  Join: 0,
  ForwardJoin: 1,
  Shuffle: 2,
  ShuffleReply: 3,
  Neighbor: 4,
  Disconnect: 5,
  Gossip: 10,
  Prune: 11,
  Graft: 12,
  IHave: 13,
} as const;

/** One `IHave` entry: a message id and the round at which the sender delivered it. */
export interface IHaveEntry {
  readonly id: Uint8Array;
  readonly round: number;
}

/** HyParView membership and Plumtree broadcast messages exchanged between peers. */
export type GossipMessage<P> =
  | { readonly t: typeof MessageType.Join; readonly data?: Uint8Array | undefined }
  | { readonly t: typeof MessageType.ForwardJoin; readonly peer: PeerInfo<P>; readonly ttl: number }
  | {
      readonly t: typeof MessageType.Shuffle;
      readonly origin: PeerInfo<P>;
      readonly nodes: readonly PeerInfo<P>[];
      readonly ttl: number;
    }
  | { readonly t: typeof MessageType.ShuffleReply; readonly nodes: readonly PeerInfo<P>[] }
  | {
      readonly t: typeof MessageType.Neighbor;
      readonly high: boolean;
      readonly data?: Uint8Array | undefined;
    }
  | { readonly t: typeof MessageType.Disconnect; readonly alive: boolean }
  | {
      readonly t: typeof MessageType.Gossip;
      readonly id: Uint8Array;
      readonly content: Uint8Array;
      readonly round: number;
      /** Tree label of the broadcast's origin (absent from older nodes: the shared tree). */
      readonly root?: Uint8Array | undefined;
    }
  | {
      readonly t: typeof MessageType.Prune;
      /** Stop pushing this root's payloads to me (absent: every root's, as older nodes mean it). */
      readonly root?: Uint8Array | undefined;
    }
  | {
      readonly t: typeof MessageType.Graft;
      readonly id?: Uint8Array | undefined;
      readonly round: number;
      /** Push this root's payloads to me (absent: the root of the payload `id`, or the shared tree). */
      readonly root?: Uint8Array | undefined;
    }
  | { readonly t: typeof MessageType.IHave; readonly entries: readonly IHaveEntry[] };

/** Timers the engine asks its driver to arm; they come back as `{ type: 'timer' }` inputs. */
export type GossipTimer<P> =
  | { readonly kind: 'shuffle' }
  | { readonly kind: 'repair' }
  | { readonly kind: 'evict' }
  | { readonly kind: 'ihave' }
  | { readonly kind: 'graft'; readonly id: string }
  | { readonly kind: 'neighborRequest'; readonly peer: P };

/** Inputs of {@link GossipEngine.handle}. */
export type GossipInput<P> =
  /** Join the swarm through these contacts (bootstrap, or catalog peers after losing all neighbours). */
  | { readonly type: 'join'; readonly peers: readonly PeerInfo<P>[] }
  /** Peers known from elsewhere (the catalog): backups for the passive view; nothing is sent. */
  | { readonly type: 'suggest'; readonly peers: readonly PeerInfo<P>[] }
  /** Broadcast a payload to the whole swarm. */
  | {
      readonly type: 'broadcast';
      readonly content: Uint8Array;
      /**
       * Send the payload to every neighbour, lazy ones too (for a node's last message); a payload
       * delivered before goes on to every neighbour but the one it came from (relaying one).
       */
      readonly flood?: boolean;
    }
  /** A decoded message arrived from `from`. */
  | { readonly type: 'message'; readonly from: P; readonly message: GossipMessage<P> }
  /** A timer armed by an earlier `timer` output fired. */
  | { readonly type: 'timer'; readonly timer: GossipTimer<P> }
  /** The connection to `peer` failed or closed (dial error, send error, remote crash). */
  | { readonly type: 'disconnected'; readonly peer: P }
  /** `peer` left the network for good (a graceful departure): never dial it again. */
  | { readonly type: 'forget'; readonly peer: P }
  /** Our own address data changed; it travels in later `Join`/`Neighbor`/`Shuffle` messages. */
  | { readonly type: 'setData'; readonly data: Uint8Array | undefined }
  /** Leave the swarm: tell every neighbour we are gone. */
  | { readonly type: 'leave' };

/** Outputs of {@link GossipEngine.handle}, to be carried out by the driver in order. */
export type GossipOutput<P> =
  | { readonly type: 'send'; readonly to: P; readonly message: GossipMessage<P> }
  /** `peer` is no longer a neighbour: its connection may be closed once queued sends are flushed. */
  | { readonly type: 'close'; readonly peer: P }
  | { readonly type: 'deliver'; readonly content: Uint8Array; readonly from: P; readonly round: number }
  | { readonly type: 'neighborUp'; readonly peer: P }
  | { readonly type: 'neighborDown'; readonly peer: P }
  | { readonly type: 'timer'; readonly afterMs: number; readonly timer: GossipTimer<P> }
  /** Learned (or changed) address data of a peer: feed it to the address book. */
  | { readonly type: 'peerData'; readonly peer: P; readonly data: Uint8Array }
  /** The peer sent something invalid (e.g. a gossip id that is not the hash of its content). */
  | { readonly type: 'violation'; readonly peer: P; readonly reason: string };

/** Environment of an engine: identity, clock, randomness and hashing are all injected. */
export interface GossipEnv<P> {
  /** Our own identity. */
  readonly me: P;
  /** Stable string key of a peer (e.g. hex of its public key). */
  readonly key: (peer: P) => string;
  /** Current time in ms (virtual in the simulator). */
  readonly now: () => number;
  /** Uniform random number in [0, 1). */
  readonly random: () => number;
  /** Message-id hash (blake3 in production). */
  readonly hash: (content: Uint8Array) => Uint8Array;
}
