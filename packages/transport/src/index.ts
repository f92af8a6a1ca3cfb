/**
 * @mosaik/transport: the QUIC endpoint (iroh-js), the ALPN router, the address
 * book, framed links and the node core every subsystem builds on.
 *
 * @packageDocumentation
 */
export { AddressBook, checkEndpointAddr, type EndpointAddr, isSocketAddress } from './address.js';
export { CloseCode, type CloseInfo, closeCodeName, parseCloseReason } from './close-code.js';
export {
  checkEndpointOptions,
  type EndpointOptions,
  type RelayMode,
  type TransportPreset,
} from './endpoint.js';
export {
  CancelledError,
  ConnectFailedError,
  LinkClosedError,
  ProtocolViolationError,
  type TransportErrorCode,
} from './errors.js';
export { DEFAULT_MAX_FRAME_SIZE, FrameDecoder, frameHeader } from './frame.js';
export { Link, type LinkOptions, LinkReceiver, LinkSender } from './link.js';
export {
  type ConnectOptions,
  type LinkClosedEvent,
  type LinkHandler,
  LocalNode,
  type LocalNodeOptions,
} from './local-node.js';
export type { RelayState, RelayStatus } from './relay-status.js';
