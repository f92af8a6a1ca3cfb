/**
 * @mosaik/discovery: signed peer entries, catalog snapshots, RTT tracking and the `Discovery`
 * node. The wire schemas of the three discovery ALPNs, the pure catalog and the RTT functions are
 * in `@mosaik/discovery/wire`; the gossip engine (HyParView + Plumtree as a pure state machine)
 * and its simulator are in `@mosaik/discovery/testing`.
 *
 * Bootstrap without configuration lives behind subpaths so that a node which does not use it never
 * installs or loads its libraries: `@mosaik/discovery/dht` (Mainline DHT, needs the optional peer
 * dependencies `bittorrent-dht` and `dns-packet`), `@mosaik/discovery/mdns` (needs `multicast-dns`)
 * and `@mosaik/discovery/zero-config` (`addZeroConfigSources`, needs all three).
 *
 * @packageDocumentation
 * @module index
 */
export type { DiscoveryEvent, Lagged } from './catalog/events.js';
export { PeerInfo } from './catalog/peer-info.js';
export { CatalogSnapshot } from './catalog/snapshot.js';
export {
  checkLocation,
  checkRegion,
  type GeoLocation,
  greatCircleKm,
  MAX_REGION_LENGTH,
} from './coordinates/geo.js';
export {
  COORDINATE_DIMENSIONS,
  DEFAULT_VIVALDI_CONFIG,
  estimateRtt,
  initialCoordinate,
  isValidCoordinate,
  type NetworkCoordinate,
  updateCoordinate,
  VIVALDI,
  type VivaldiConfig,
} from './coordinates/vivaldi.js';
export { GracefulDeparture } from './entry/departure.js';
export { type NewEntryOptions, type PeerAddress, PeerEntry, type PeerEntryFields } from './entry/entry.js';
export { SignedPeerEntry } from './entry/signed.js';
export type { PeerEntryVersion } from './entry/version.js';
export {
  CatalogError,
  type DiscoveryErrorCode,
  EntryDecodeError,
  GossipPayloadTooLargeError,
  InvalidCoordinateError,
  InvalidSecretKeyError,
  InvalidSignatureError,
  PeerIdChangedError,
} from './errors.js';
export { DEFAULT_GOSSIP_CONFIG, type GossipConfig } from './gossip/config.js';
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
export { type RttKey, type RttState, RttTracker } from './rtt/rtt.js';
