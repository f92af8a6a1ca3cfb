/**
 * @mosaik/streams: typed pub/sub producers and consumers over QUIC (`/mosaik/streams/1.0`).
 *
 * - {@link defineStream}: declare a stream (name → id, codec, schema, baked-in options).
 * - {@link Streams}: the subsystem (`net.streams`): `produce` / `consume` and their builders.
 * - {@link Producer} / {@link Consumer}: `send`, `trySend`, async iteration, `when`, `stats`.
 *
 * @packageDocumentation
 */
export { Backoff, type BackoffEnv, type BackoffPolicy, DEFAULT_BACKOFF } from './backoff.js';
export { StreamCloseCode } from './close-codes.js';
export {
  Consumer,
  type ConsumerStats,
  type ProducerChannelStats,
} from './consumer/consumer.js';
export type { StreamsConfig } from './context.js';
export {
  type ConsumerOptions,
  DEFAULT_MAX_DATUM_SIZE,
  defineStream,
  type PeerPredicate,
  type ProducerOptions,
  type ProducerPreference,
  type ResolvedConsumerOptions,
  type ResolvedProducerOptions,
  type StreamDef,
  type StreamOptions,
  type StreamRef,
} from './def.js';
export {
  AlreadyExistsError,
  ProducerError,
  type ProducerErrorKind,
  StreamsConfigError,
  type StreamsErrorCode,
} from './errors.js';
export { Producer, type ProducerInfo, type SendOptions } from './producer/producer.js';
export type { ProducerStats, SubscriptionInfo } from './producer/sink.js';
export { ChannelInfo, type ChannelState } from './status/channel.js';
export { ChannelConditions, type OnlineWhen, type SubscribedOptions, When } from './status/conditions.js';
export { Stats } from './status/stats.js';
export { ConsumerBuilder, ProducerBuilder, Streams } from './streams.js';
export { type Criteria, STREAMS_ALPN } from './wire.js';
