/**
 * mosaik: batteries-included runtime for self-organizing distributed systems.
 * `Network.create(name, options)` gives a node; the building blocks are re-exported.
 *
 * @packageDocumentation
 */
export {
  type AddressSource,
  type AddressSourceContext,
  CatalogSnapshot,
  DEFAULT_DISCOVERY_CONFIG,
  Discovery,
  type DiscoveryConfig,
  type DiscoveryEvent,
  GracefulDeparture,
  type Lagged,
  PeerEntry,
  PeerInfo,
  RttTracker,
  SignedPeerEntry,
} from '@mosaik/discovery';
export * from '@mosaik/id';
export {
  AddressBook,
  Cancelled,
  CloseCode,
  type CloseInfo,
  ConnectFailed,
  type EndpointAddr,
  Link,
  LinkClosed,
  type LinkOptions,
  ProtocolViolation,
  type RelayMode,
  type TransportPreset,
} from '@mosaik/transport';
export { Network, type NetworkOptions } from './network.js';
