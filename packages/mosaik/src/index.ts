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
  type ApplyContext,
  type ConsensusConfig,
  type Consistency,
  Group,
  type GroupCallOptions,
  GroupKey,
  Groups,
  type GroupsConfig,
  GroupTerminated,
  LeadershipPreference,
  NoCommands,
  NoOp,
  Offline,
  type StateMachine,
  type StorageSpec,
  storage,
} from '@mosaik/rsm';
export {
  AlreadyExists,
  Consumer,
  defineStream,
  Producer,
  ProducerError,
  type StreamDef,
  type StreamOptions,
  Streams,
  type StreamsConfig,
} from '@mosaik/streams';
export {
  Expiration,
  InvalidTicket,
  Jwt,
  JwtTicketBuilder,
  Ticket,
  type TicketValidator,
} from '@mosaik/tickets';
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
  type RelayState,
  type RelayStatus,
  type TransportPreset,
} from '@mosaik/transport';
export { RelayUnreachable } from './errors.js';
export { Network, type NetworkOptions } from './network.js';
