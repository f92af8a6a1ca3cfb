/**
 * @mosaik/discovery/dht: bootstrap over the BitTorrent Mainline DHT. Nodes of one network publish
 * signed pkarr-format records into slots derived from the network id and read each other's.
 *
 * This subpath needs the optional peer dependencies `bittorrent-dht` and `dns-packet`
 * (`npm install bittorrent-dht dns-packet`); the `mosaik` package brings them along.
 *
 * @packageDocumentation
 */
export { fromBase58, toBase58 } from './dht/base58.js';
export {
  DhtClient,
  type DhtClientOptions,
  type DhtItem,
  dhtTarget,
  MAINLINE_BOOTSTRAP,
} from './dht/client.js';
export { type DhtErrorCode, DhtRecordTooLargeError, DhtRequestError } from './dht/errors.js';
export { LocalDht, type LocalDhtOptions } from './dht/local.js';
export { pingVia } from './dht/ping.js';
export {
  decodeSlotRecord,
  encodeSlotRecord,
  MAX_PACKET_BYTES,
  PEER_RECORD_TTL,
  type SlotRecord,
} from './dht/record.js';
export { nowMicros, type SlotState, type SlotView, scanChain } from './dht/scan.js';
export { CHAIN_DEPTH, type Slot, slotChain, slotIds } from './dht/slots.js';
export {
  AGGRESSIVE_POLL_MS,
  DhtAddressSource,
  type DhtSourceOptions,
  type DhtSourceStatus,
  PEER_PING_TIMEOUT_MS,
  PUBLISH_COOLDOWN_MS,
  RELAXED_POLL_MS,
} from './dht/source.js';
export type { AddressSink, PingFunction, PingReply, SourceContext } from './dht/types.js';
