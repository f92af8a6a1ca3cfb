/**
 * @mosaik/discovery: signed peer entries, the catalog, RTT tracking, the `Discovery` node and the
 * wire schemas of the three discovery ALPNs. The gossip engine (HyParView + Plumtree as a pure
 * state machine) and its simulator are in `@mosaik/discovery/testing`.
 *
 * Bootstrap without configuration lives behind subpaths so that a node which does not use it never
 * installs or loads its libraries: `@mosaik/discovery/dht` (Mainline DHT, needs the optional peer
 * dependencies `bittorrent-dht` and `dns-packet`), `@mosaik/discovery/mdns` (needs `multicast-dns`)
 * and `@mosaik/discovery/zero-config` (`addZeroConfigSources`, needs all three).
 *
 * @packageDocumentation
 * @module index
 */
export {
  Catalog,
  type CatalogOptions,
  type GossipResult,
  type RttSource,
  type Scheduler,
  type UpsertResult,
} from './catalog/catalog.js';
export { type DiscoveryEvent, EventBroadcast, type Lagged } from './catalog/events.js';
export { PeerInfo } from './catalog/peer-info.js';
export { CatalogSnapshot } from './catalog/snapshot.js';
export { decodePeerEntry, ENTRY_LIMITS } from './entry/codec.js';
export { GracefulDeparture } from './entry/departure.js';
export {
  type NewEntryOptions,
  type PeerAddress,
  PeerEntry,
  type PeerEntryFields,
  PROTOCOL_VERSION,
} from './entry/entry.js';
export { MAX_ENTRY_BYTES, SignedPeerEntry } from './entry/signed.js';
export { compareVersions, incrementVersion, type PeerEntryVersion } from './entry/version.js';
export {
  CatalogError,
  type DiscoveryErrorCode,
  EntryDecodeError,
  GossipPayloadTooLargeError,
  InvalidSecretKeyError,
  InvalidSignatureError,
  PeerIdChangedError,
} from './errors.js';
export { DEFAULT_GOSSIP_CONFIG, type GossipConfig } from './gossip/config.js';
// The gossip engine and the simulator live in `@mosaik/discovery/testing`; the wire messages stay here.
export {
  type GossipMessage,
  type IHaveEntry,
  MessageType,
  type PeerInfo as GossipPeerInfo,
} from './gossip/types.js';
export {
  DEFAULT_DISCOVERY_CONFIG,
  type DiscoveryConfig,
  resolveConfig as resolveDiscoveryConfig,
} from './node/config.js';
export {
  type AddressSource,
  type AddressSourceContext,
  Discovery,
} from './node/discovery.js';
export { ExchangeRejectedError, type PingResult } from './node/exchange.js';
export type { RejectReason } from './node/metrics.js';
export {
  ANNOUNCE_ALPN,
  type AnnounceFrame,
  type Announcement,
  AnnouncementType,
  announceFrameFromWire,
  announceFrameToWire,
  decodeAddressData,
  decodeAnnounceFrame,
  decodeAnnouncement,
  encodeAddressData,
  encodeAnnounceFrame,
  encodeAnnouncement,
  entryAnnouncement,
  HELLO,
  type Hello,
} from './protocol/announce.js';
export {
  decodePingMessage,
  encodePingMessage,
  PING_ALPN,
  type PingMessage,
  pingMessageFromWire,
  pingMessageToWire,
} from './protocol/ping.js';
export {
  type CatalogSnapshotMessage,
  decodeSyncMessage,
  encodeSyncMessage,
  MAX_SNAPSHOT_ENTRIES,
  SYNC_ALPN,
  syncMessageFromWire,
  syncMessageToWire,
} from './protocol/sync.js';
export { type RttKey, type RttState, RttTracker, rttAdmitted, rttBelow, smoothRtt } from './rtt/rtt.js';
