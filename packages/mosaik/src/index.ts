/**
 * mosaik: batteries-included runtime for self-organizing distributed systems.
 * `Network.create(name, options)` gives a node; the building blocks are re-exported.
 *
 * @packageDocumentation
 */

export {
  CellReader,
  CellWriter,
  type CollectionCodec,
  type CollectionDef,
  CollectionError,
  type CollectionMembers,
  type CollectionOptions,
  type CollectionReset,
  codecs,
  defineCollection,
  MapReader,
  MapWriter,
  OnceReader,
  OnceWriter,
  PriorityQueueReader,
  PriorityQueueWriter,
  type ReaderDef,
  range,
  SetReader,
  SetWriter,
  VecReader,
  VecWriter,
  type Version,
  type WatchEvent,
  type WriterDef,
} from '@mosaik/collections';
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
  type MachineDescription,
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
export { formatBootstrapAddr, parseBootstrapAddr } from './bootstrap-addr.js';
export type { MachineDescriber, ReportSources } from './diagnostics/collect.js';
export type { DiagnosticsEvent, DiagnosticsEventKind } from './diagnostics/events.js';
export type {
  BondView,
  CollectionView,
  ConsumedView,
  DiagnosticsSnapshot,
  GroupView,
  OverlayView,
  PeerView,
  ProducedView,
  Rated,
  SelfInput,
  SourceView,
  SubscriberView,
} from './diagnostics/model.js';
export type {
  BondReport,
  ConsumedStreamReport,
  GroupReport,
  MachineReport,
  NodeReport,
  ProducedStreamReport,
  SourceReport,
  SubscriberReport,
} from './diagnostics/report.js';
export {
  type DiagnosticsNode,
  type DiagnosticsOptions,
  type DiagnosticsServer,
  startDiagnostics,
} from './diagnostics/server.js';
export { queryStatus, STATUS_ALPN } from './diagnostics/status-protocol.js';
export { RelayUnreachable } from './errors.js';
export { Network, type NetworkOptions } from './network.js';
