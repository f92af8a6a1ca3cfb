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
  type CollectionErrorCode,
  type CollectionOptions,
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
  type DiscoveryErrorCode,
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
  GroupTerminatedError,
  LeadershipPreference,
  type MachineDescription,
  NoCommandsError,
  NoOp,
  OfflineError,
  type RsmErrorCode,
  type StateMachine,
  type StorageSpec,
  storage,
} from '@mosaik/rsm';
export {
  AlreadyExistsError,
  Consumer,
  defineStream,
  Producer,
  ProducerError,
  type StreamDef,
  type StreamOptions,
  Streams,
  type StreamsConfig,
  type StreamsErrorCode,
} from '@mosaik/streams';
export {
  Expiration,
  InvalidTicketError,
  Jwt,
  JwtTicketBuilder,
  Ticket,
  type TicketsErrorCode,
  type TicketValidator,
} from '@mosaik/tickets';
export {
  AddressBook,
  CancelledError,
  CloseCode,
  type CloseInfo,
  ConnectFailedError,
  type EndpointAddr,
  Link,
  LinkClosedError,
  type LinkOptions,
  ProtocolViolationError,
  type RelayMode,
  type RelayState,
  type RelayStatus,
  type TransportErrorCode,
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
export { type MosaikErrorCode, type NetworkErrorCode, RelayUnreachableError } from './errors.js';
export { Network, type NetworkOptions } from './network.js';
