/**
 * Wire schema of `/mosaik/discovery/announce/1.0` (gossip). Every frame is CBOR of a map with
 * an integer `t`. The first frame on a link is `Hello` (the topic: our network id); then
 * HyParView/Plumtree messages follow. Plumtree payloads are CBOR `Announcement`s.
 */
import { cborCodec, type NetworkId, type PeerId } from '@mosaik/id';
import { array, bool, bytes, digest, fail, fixedBytes, int, list, peerId, string, tagged } from '../check.js';
import { decodeCbor } from '../entry/codec.js';
import { GracefulDeparture } from '../entry/departure.js';
import type { PeerAddress } from '../entry/entry.js';
import { SignedPeerEntry } from '../entry/signed.js';
import type { PeerEntryVersion } from '../entry/version.js';
import { ROOT_LABEL_BYTES } from '../gossip/plumtree.js';
import { type GossipMessage, type IHaveEntry, MessageType, type PeerInfo } from '../gossip/types.js';

/** ALPN of the gossip protocol. */
export const ANNOUNCE_ALPN = '/mosaik/discovery/announce/1.0';

/** `t` of the first frame on an announce link. */
export const HELLO = 20;

/** First frame on an announce link: which swarm (network) the opener wants to join. */
export interface Hello {
  readonly t: typeof HELLO;
  readonly network: NetworkId;
}

/** Any frame of the announce ALPN. */
export type AnnounceFrame = Hello | GossipMessage<PeerId>;

const cbor = cborCodec<unknown>();
const MAX_PEERS_PER_MESSAGE = 64;
const MAX_DATA = 2048;
const MAX_TTL = 64;
const MAX_ROUND = 0xffff;

function infoToWire(info: PeerInfo<PeerId>): unknown[] {
  return [info.id.bytes, info.data ?? null];
}

function infoFromWire(v: unknown, what: string): PeerInfo<PeerId> {
  const [id, data] = array(v, what, 2);
  return {
    id: peerId(id, `${what}.id`),
    data: data === null ? undefined : bytes(data, `${what}.data`, MAX_DATA),
  };
}

function optData(v: unknown, what: string): Uint8Array | undefined {
  return v === null || v === undefined ? undefined : bytes(v, what, MAX_DATA);
}

function withRoot(wire: Record<string, unknown>, root: Uint8Array | undefined): Record<string, unknown> {
  if (root !== undefined) wire.o = root;
  return wire;
}

function optRoot(v: unknown, what: string): Uint8Array | undefined {
  return v === null || v === undefined ? undefined : fixedBytes(v, ROOT_LABEL_BYTES, what);
}

/** Plain CBOR-ready object of a frame. */
export function announceFrameToWire(frame: AnnounceFrame): Record<string, unknown> {
  switch (frame.t) {
    case HELLO:
      return { t: HELLO, n: frame.network.bytes };
    case MessageType.Join:
      return { t: frame.t, d: frame.data ?? null };
    case MessageType.ForwardJoin:
      return { t: frame.t, p: infoToWire(frame.peer), ttl: frame.ttl };
    case MessageType.Shuffle:
      return { t: frame.t, o: infoToWire(frame.origin), p: frame.nodes.map(infoToWire), ttl: frame.ttl };
    case MessageType.ShuffleReply:
      return { t: frame.t, p: frame.nodes.map(infoToWire) };
    case MessageType.Neighbor:
      return { t: frame.t, h: frame.high, d: frame.data ?? null };
    case MessageType.Disconnect:
      return { t: frame.t, a: frame.alive };
    // The root label `o` is an optional key: older nodes ignore keys they do not know, so they
    // still decode these frames (and treat them as the shared tree's).
    case MessageType.Gossip:
      return withRoot({ t: frame.t, id: frame.id, c: frame.content, r: frame.round }, frame.root);
    case MessageType.Prune:
      return withRoot({ t: frame.t }, frame.root);
    case MessageType.Graft:
      return withRoot({ t: frame.t, id: frame.id ?? null, r: frame.round }, frame.root);
    case MessageType.IHave:
      return { t: frame.t, e: frame.entries.map((e) => [e.id, e.round]) };
  }
}

/** Validates a decoded frame. @throws {EntryDecodeError} on any malformed input. */
export function announceFrameFromWire(value: unknown, maxPayloadSize: number): AnnounceFrame {
  const w = tagged(value, 'announce frame');
  switch (w.t) {
    case HELLO:
      return { t: HELLO, network: digest(w.n, 'hello.network') };
    case MessageType.Join:
      return { t: MessageType.Join, data: optData(w.d, 'join.data') };
    case MessageType.ForwardJoin:
      return {
        t: MessageType.ForwardJoin,
        peer: infoFromWire(w.p, 'forwardJoin.peer'),
        ttl: int(w.ttl, 'ttl', 0, MAX_TTL),
      };
    case MessageType.Shuffle:
      return {
        t: MessageType.Shuffle,
        origin: infoFromWire(w.o, 'shuffle.origin'),
        nodes: list(w.p, 'shuffle.nodes', MAX_PEERS_PER_MESSAGE).map((p) =>
          infoFromWire(p, 'shuffle.nodes[]'),
        ),
        ttl: int(w.ttl, 'ttl', 0, MAX_TTL),
      };
    case MessageType.ShuffleReply:
      return {
        t: MessageType.ShuffleReply,
        nodes: list(w.p, 'shuffleReply.nodes', MAX_PEERS_PER_MESSAGE).map((p) =>
          infoFromWire(p, 'shuffleReply.nodes[]'),
        ),
      };
    case MessageType.Neighbor:
      return {
        t: MessageType.Neighbor,
        high: bool(w.h, 'neighbor.high'),
        data: optData(w.d, 'neighbor.data'),
      };
    case MessageType.Disconnect:
      return { t: MessageType.Disconnect, alive: bool(w.a, 'disconnect.alive') };
    case MessageType.Gossip:
      return {
        t: MessageType.Gossip,
        id: fixedBytes(w.id, 32, 'gossip.id'),
        content: bytes(w.c, 'gossip.content', maxPayloadSize),
        round: int(w.r, 'gossip.round', 0, MAX_ROUND),
        root: optRoot(w.o, 'gossip.root'),
      };
    case MessageType.Prune:
      return { t: MessageType.Prune, root: optRoot(w.o, 'prune.root') };
    case MessageType.Graft:
      return {
        t: MessageType.Graft,
        id: w.id === null || w.id === undefined ? undefined : fixedBytes(w.id, 32, 'graft.id'),
        round: int(w.r, 'graft.round', 0, MAX_ROUND),
        root: optRoot(w.o, 'graft.root'),
      };
    case MessageType.IHave:
      return {
        t: MessageType.IHave,
        entries: list(w.e, 'ihave.entries', 1024).map((e): IHaveEntry => {
          const [id, round] = array(e, 'ihave.entries[]', 2);
          return { id: fixedBytes(id, 32, 'ihave.id'), round: int(round, 'ihave.round', 0, MAX_ROUND) };
        }),
      };
    default:
      return fail(`announce frame: unknown type ${w.t}`);
  }
}

/** CBOR bytes of a frame. */
export function encodeAnnounceFrame(frame: AnnounceFrame): Uint8Array {
  return cbor.encode(announceFrameToWire(frame));
}

/** Decodes a frame. @throws {EntryDecodeError} on any malformed input. */
export function decodeAnnounceFrame(input: Uint8Array, maxPayloadSize = 4096): AnnounceFrame {
  return announceFrameFromWire(decodeCbor(input, 'announce frame'), maxPayloadSize);
}

// ---- gossip payloads ----

/** `t` values of announcements (the Plumtree payloads). */
export const AnnouncementType = { EntryUpdate: 0, Departure: 1, EntryChanged: 2 } as const;

/** What a node gossips. */
export type Announcement =
  /** The sender's own current signed entry. */
  | { readonly t: typeof AnnouncementType.EntryUpdate; readonly entry: SignedPeerEntry }
  /** The sender is leaving. */
  | { readonly t: typeof AnnouncementType.Departure; readonly departure: GracefulDeparture }
  /**
   * The sender's entry changed but is too large for gossip: receivers holding an older version
   * fetch it by catalog sync. Unsigned and therefore only a hint.
   */
  | {
      readonly t: typeof AnnouncementType.EntryChanged;
      readonly peerId: PeerId;
      readonly version: PeerEntryVersion;
    };

/** CBOR bytes of an announcement (a signed entry or a departure). */
export function encodeAnnouncement(a: Announcement): Uint8Array {
  switch (a.t) {
    case AnnouncementType.EntryUpdate:
      return cbor.encode({ t: a.t, e: a.entry.toWire() });
    case AnnouncementType.Departure:
      return cbor.encode({ t: a.t, d: a.departure.toWire() });
    case AnnouncementType.EntryChanged:
      return cbor.encode({ t: a.t, p: a.peerId.bytes, v: [a.version.startMs, a.version.updateMs] });
  }
}

/** Decodes and verifies an announcement (signatures are checked before decoding the signed bytes). */
export function decodeAnnouncement(input: Uint8Array): Announcement {
  const w = tagged(decodeCbor(input, 'announcement'), 'announcement');
  switch (w.t) {
    case AnnouncementType.EntryUpdate:
      return { t: AnnouncementType.EntryUpdate, entry: SignedPeerEntry.fromWire(w.e) };
    case AnnouncementType.Departure:
      return { t: AnnouncementType.Departure, departure: GracefulDeparture.fromWire(w.d) };
    case AnnouncementType.EntryChanged: {
      const [start, update] = array(w.v, 'entryChanged.version', 2);
      return {
        t: AnnouncementType.EntryChanged,
        peerId: peerId(w.p, 'entryChanged.peer'),
        version: { startMs: int(start, 'version.start'), updateMs: int(update, 'version.update') },
      };
    }
    default:
      return fail(`announcement: unknown type ${w.t}`);
  }
}

/**
 * The payload to gossip for our entry: the signed entry when it fits `maxPayloadSize`,
 * otherwise the small "I changed" header (peers then sync with us).
 */
export function entryAnnouncement(signed: SignedPeerEntry, maxPayloadSize: number): Uint8Array {
  const full = encodeAnnouncement({ t: AnnouncementType.EntryUpdate, entry: signed });
  if (full.length <= maxPayloadSize) return full;
  return encodeAnnouncement({
    t: AnnouncementType.EntryChanged,
    peerId: signed.peerId,
    version: signed.entry.version,
  });
}

// ---- peer data (addresses in HyParView messages) ----

/** CBOR of an address without the peer id (the id travels beside it). */
export function encodeAddressData(address: Omit<PeerAddress, 'peerId'>): Uint8Array {
  return cbor.encode([[...address.directAddresses], address.relayUrl ?? null]);
}

/** Decodes {@link encodeAddressData}. */
export function decodeAddressData(peer: PeerId, input: Uint8Array): PeerAddress {
  const [direct, relay] = array(decodeCbor(input, 'address data'), 'address data', 2);
  return {
    peerId: peer,
    directAddresses: list(direct, 'address.direct', 32).map((a) => string(a, 'address.direct[]', 64)),
    relayUrl: relay === null ? undefined : string(relay, 'address.relay', 2048),
  };
}
