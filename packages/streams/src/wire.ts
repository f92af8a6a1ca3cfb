/**
 * The wire schema of ALPN `/mosaik/streams/1.0` (the Rust implementation's messages, in CBOR instead
 * of postcard).
 *
 * One QUIC connection per subscription, one bidirectional stream, 4-byte length-prefixed frames:
 *
 * 1. consumer → producer: {@link ConsumerHandshake} (network id, stream id, the consumer's criteria);
 * 2. producer → consumer: {@link StartStream} (network id, stream id) once the consumer is admitted,
 *    or a close with a reason code;
 * 3. producer → consumer, repeated: datum frames = 8-byte header (the producer's send time, ms since
 *    the epoch as a big-endian float64, for the delivery-latency histogram) ‖ the codec's bytes.
 *
 * Nothing flows consumer → producer after the handshake.
 */
import { DecodeError, Digest, decodeCbor, encodeCbor } from '@mosaik/id';

/** The streams ALPN. */
export const STREAMS_ALPN = '/mosaik/streams/1.0';

/** Bytes in front of every datum payload. */
export const DATUM_HEADER_BYTES = 8;

/** Message type tags. */
export const MessageType = { ConsumerHandshake: 1, StartStream: 2 } as const;

/**
 * Content-based filtering hook: today an empty object that matches every datum. It
 * travels in the handshake so that a later version can add fields without a new ALPN.
 */
export type Criteria = Readonly<Record<string, never>>;

/** First frame of a subscription, consumer → producer. */
export interface ConsumerHandshake {
  readonly t: typeof MessageType.ConsumerHandshake;
  readonly network: Digest;
  readonly stream: Digest;
  readonly criteria: Criteria;
}

/** The producer's admission reply. */
export interface StartStream {
  readonly t: typeof MessageType.StartStream;
  readonly network: Digest;
  readonly stream: Digest;
}

/** Largest handshake frame accepted (the real ones are ~80 bytes). */
export const MAX_HANDSHAKE_BYTES = 1024;

export function encodeHandshake(h: Omit<ConsumerHandshake, 't'>): Uint8Array {
  return encodeCbor({ t: MessageType.ConsumerHandshake, n: h.network.bytes, s: h.stream.bytes, c: {} });
}

export function encodeStartStream(m: Omit<StartStream, 't'>): Uint8Array {
  return encodeCbor({ t: MessageType.StartStream, n: m.network.bytes, s: m.stream.bytes });
}

/** Decodes a consumer handshake. Throws {@link DecodeError} on anything malformed. */
export function decodeHandshake(bytes: Uint8Array): ConsumerHandshake {
  const m = decodeMessage(bytes, MessageType.ConsumerHandshake);
  const c = m.c;
  if (c === null || typeof c !== 'object' || Array.isArray(c) || Object.keys(c).length > 0)
    throw new DecodeError('handshake criteria must be an empty map');
  return {
    t: MessageType.ConsumerHandshake,
    network: digestField(m.n),
    stream: digestField(m.s),
    criteria: {},
  };
}

/** Decodes a StartStream reply. Throws {@link DecodeError} on anything malformed. */
export function decodeStartStream(bytes: Uint8Array): StartStream {
  const m = decodeMessage(bytes, MessageType.StartStream);
  return { t: MessageType.StartStream, network: digestField(m.n), stream: digestField(m.s) };
}

function decodeMessage(bytes: Uint8Array, t: number): Record<string, unknown> {
  if (bytes.length > MAX_HANDSHAKE_BYTES) throw new DecodeError(`handshake frame of ${bytes.length} bytes`);
  const value = decodeCbor(bytes, { maxDepth: 4 });
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new DecodeError('streams message must be a map');
  const m = value as Record<string, unknown>;
  if (m.t !== t) {
    // `t` comes from the peer: name it without calling anything on it (an object may carry a
    // hostile `toString`).
    const got = typeof m.t === 'number' ? String(m.t) : typeof m.t;
    throw new DecodeError(`expected streams message type ${t}, got ${got}`);
  }
  return m;
}

function digestField(v: unknown): Digest {
  if (!(v instanceof Uint8Array) || v.length !== 32) throw new DecodeError('expected a 32-byte id');
  return Digest.fromBytes(v);
}

/** Wall-clock milliseconds with sub-millisecond precision. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

// One float64 scratch for the header: a DataView per datum was a measurable share of the hot path.
const headerScratch = new DataView(new ArrayBuffer(DATUM_HEADER_BYTES));
const headerBytes = new Uint8Array(headerScratch.buffer);

/** A datum frame: header (send time) ‖ payload. One allocation, shared by every subscriber. */
export function encodeDatumFrame(payload: Uint8Array, sentAtMs: number = nowMs()): Uint8Array {
  const frame = new Uint8Array(DATUM_HEADER_BYTES + payload.length);
  headerScratch.setFloat64(0, sentAtMs, false);
  frame.set(headerBytes);
  frame.set(payload, DATUM_HEADER_BYTES);
  return frame;
}

/** Bytes a framed datum adds to the codec's output: the 4-byte frame length and the datum header. */
export const FRAMED_DATUM_OVERHEAD = 4 + DATUM_HEADER_BYTES;

/**
 * A datum frame with its 4-byte big-endian frame length in front, ready for `Link.sendFramed`:
 * built once per datum and copied as is into every subscriber's pending buffer.
 */
export function encodeFramedDatum(payload: Uint8Array, sentAtMs: number = nowMs()): Uint8Array {
  const length = DATUM_HEADER_BYTES + payload.length;
  const framed = new Uint8Array(4 + length);
  framed[0] = length >>> 24;
  framed[1] = (length >>> 16) & 0xff;
  framed[2] = (length >>> 8) & 0xff;
  framed[3] = length & 0xff;
  headerScratch.setFloat64(0, sentAtMs, false);
  framed.set(headerBytes, 4);
  framed.set(payload, 4 + DATUM_HEADER_BYTES);
  return framed;
}

/** The send time in a datum frame's header. Throws {@link DecodeError} when the frame is shorter. */
export function datumSentAt(frame: Uint8Array): number {
  if (frame.length < DATUM_HEADER_BYTES)
    throw new DecodeError(`datum frame of ${frame.length} bytes is shorter than its header`);
  for (let i = 0; i < DATUM_HEADER_BYTES; i++) headerBytes[i] = frame[i]!;
  return headerScratch.getFloat64(0, false);
}

/** Splits a datum frame. Throws {@link DecodeError} when it is shorter than the header. */
export function decodeDatumFrame(frame: Uint8Array): { sentAtMs: number; payload: Uint8Array } {
  const sentAtMs = datumSentAt(frame);
  return { sentAtMs, payload: frame.subarray(DATUM_HEADER_BYTES) };
}
