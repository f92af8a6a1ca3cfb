/**
 * @mosaik/discovery/wire: the protocol beneath `Discovery`, for tools that speak it directly (a
 * conformance test, a packet inspector, another implementation) and for the pure models that
 * back the node. A user of `Discovery` does not need anything here.
 *
 * - the three discovery ALPNs and their messages: announce (`ANNOUNCE_ALPN`, the `Hello` and
 *   `Announcement` frames), catalog sync (`SYNC_ALPN`) and ping (`PING_ALPN`), each with its
 *   `encode…`/`decode…` functions and wire forms;
 * - the gossip messages (`GossipMessage`, `MessageType`) carried by announce frames;
 * - the limits and the protocol version a peer entry is checked against, and entry versions;
 * - the pure catalog (`Catalog`, with its injected clock, RTT source and `Scheduler`) and the
 *   event broadcast it publishes through;
 * - the RTT estimator's functions (`smoothRtt`, `rttBelow`, `rttAdmitted`);
 * - the wire forms of a network coordinate (ten little-endian float32s) and of a location
 *   (integers in 10⁻⁵ degree), as carried in an entry's extension map.
 *
 * @packageDocumentation
 */
export {
  Catalog,
  type CatalogOptions,
  type GossipResult,
  type RttSource,
  type Scheduler,
  type UpsertResult,
} from './catalog/catalog.js';
export { EventBroadcast } from './catalog/events.js';
export {
  COORDINATE_BYTES,
  decodeCoordinate,
  decodeLocation,
  encodeCoordinate,
  encodeLocation,
} from './coordinates/wire.js';
export { decodePeerEntry, ENTRY_LIMITS } from './entry/codec.js';
export { PROTOCOL_VERSION } from './entry/entry.js';
export { MAX_ENTRY_BYTES } from './entry/signed.js';
export { compareVersions, incrementVersion } from './entry/version.js';
export {
  type GossipMessage,
  type IHaveEntry,
  MessageType,
  type PeerInfo as GossipPeerInfo,
} from './gossip/types.js';
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
  decodeSyncMessageOf,
  departuresCovering,
  encodeSyncMessage,
  entriesMissingFrom,
  entriesWanted,
  MAX_SNAPSHOT_ENTRIES,
  MAX_SYNC_DEPARTURES,
  SUMMARY_ITEM_BYTES,
  SUMMARY_KEY_BYTES,
  type SummaryItem,
  SYNC_ALPN,
  SYNC_DELTA_ALPN,
  type SyncDeltaMessage,
  type SyncMessage,
  type SyncPushMessage,
  type SyncSummaryMessage,
  SyncType,
  summaryItemOf,
  summaryKeyOf,
  syncMessageFromWire,
  syncMessageToWire,
  wantedFrom,
} from './protocol/sync.js';
export { rttAdmitted, rttBelow, smoothRtt } from './rtt/rtt.js';
