/**
 * @mosaik/id: ids, digests, keys, canonical encoding and small async primitives.
 *
 * - {@link Digest} and {@link id}: 32-byte intent-addressed ids (64 hex chars decoded, else blake3).
 * - {@link PeerId} / {@link SecretKey}: ed25519 identity, compatible with iroh's EndpointId.
 * - {@link Codec}, {@link cborCodec}, {@link jsonCodec}, {@link withSchema}, {@link encodeCanonical}.
 * - {@link Clock}, {@link systemClock}, {@link ManualClock}: injected time for protocol code and simulators.
 * - {@link Watch}, {@link Condition}, {@link waitFor}, {@link scaled}, {@link sleep}, AbortSignal helpers.
 * - {@link MosaikError}, the base of every error in the project, and {@link DecodeError}.
 */
export { fromBase32, fromZBase32, toBase32, toZBase32 } from './base32.js';
export {
  compareBytes,
  concatBytes,
  constantTimeEqual,
  equalBytes,
  fromHex,
  isHex,
  randomBytes,
  toHex,
  utf8,
} from './bytes.js';
export { encodeCanonical } from './canonical.js';
export { type Clock, every, ManualClock, systemClock } from './clock.js';
export {
  type CborCodecOptions,
  type Codec,
  canonicalCodec,
  cborCodec,
  decodeCbor,
  encodeCbor,
  jsonCodec,
  withSchema,
} from './codec.js';
export { Condition } from './condition.js';
export {
  Digest,
  type DigestPart,
  type GroupId,
  id,
  type NetworkId,
  type StoreId,
  type StreamId,
  type Tag,
  type TicketClass,
  type UniqueId,
} from './digest.js';
export {
  type NativePublicKey,
  type NativeSecretKey,
  nativePublicKey,
  nativeSecretKey,
  signEd25519,
  verifyEd25519,
} from './ed25519.js';
export {
  DecodeError,
  type DecodeErrorOptions,
  EncodeError,
  type IdErrorCode,
  InvalidArgumentError,
  MosaikError,
  type MosaikErrorOptions,
  TimeoutError,
} from './errors.js';
export { type Blake3Hasher, blake3, blake3DeriveKey, blake3Hasher, blake3Keyed } from './hash.js';
export { PeerId, SecretKey, verifySignature } from './keys.js';
export {
  abortAfter,
  abortable,
  anySignal,
  type LinkedSignal,
  linkedTo,
  linkSignals,
  scaled,
  sleep,
  timeFactor,
  type WaitForOptions,
  waitFor,
} from './time.js';
export { type ReadonlyWatch, Watch, type WatchOptions, type WatchWaitOptions } from './watch.js';
