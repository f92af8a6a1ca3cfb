/**
 * Shape checks for decoded CBOR values. Every decoder in this package turns `unknown` into a
 * typed value through these helpers, so any malformed input ends as an {@link EntryDecodeError}.
 */
import { Digest, PeerId } from '@mosaik/id';
import { EntryDecodeError } from './errors.js';

export function fail(message: string, cause?: unknown): never {
  throw new EntryDecodeError(message, cause === undefined ? undefined : { cause });
}

export function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

export function bytes(v: unknown, what: string, max = Number.POSITIVE_INFINITY): Uint8Array {
  if (!(v instanceof Uint8Array)) fail(`${what}: expected bytes`);
  if (v.length > max) fail(`${what}: longer than ${max} bytes`);
  // cbor-x may hand out Buffers that view a shared pool; keep an exact, owned copy.
  return new Uint8Array(v);
}

export function fixedBytes(v: unknown, length: number, what: string): Uint8Array {
  const b = bytes(v, what);
  if (b.length !== length) fail(`${what}: expected ${length} bytes, got ${b.length}`);
  return b;
}

export function array(v: unknown, what: string, length?: number): unknown[] {
  if (!Array.isArray(v)) fail(`${what}: expected an array`);
  if (length !== undefined && v.length !== length) fail(`${what}: expected ${length} items, got ${v.length}`);
  return v;
}

export function list(v: unknown, what: string, max: number): unknown[] {
  const a = array(v, what);
  if (a.length > max) fail(`${what}: more than ${max} items`);
  return a;
}

export function string(v: unknown, what: string, max: number): string {
  if (typeof v !== 'string') fail(`${what}: expected a string`);
  if (v.length > max) fail(`${what}: longer than ${max} characters`);
  return v;
}

/** A safe integer in `[min, max]`; CBOR 64-bit integers may decode as bigint. */
export function int(
  v: unknown,
  what: string,
  min = Number.MIN_SAFE_INTEGER,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const n = typeof v === 'bigint' && v >= BigInt(min) && v <= BigInt(max) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < min || n > max)
    fail(`${what}: expected an integer`);
  return n;
}

export function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') fail(`${what}: expected a boolean`);
  return v;
}

export function digest(v: unknown, what: string): Digest {
  return Digest.fromBytes(fixedBytes(v, 32, what));
}

/**
 * Validated peer ids by hex. `PeerId.fromBytes` checks the point on the curve (~0.5 ms in JS)
 * and the same few ids fill every gossip frame and sync snapshot; PeerIds are immutable.
 */
const PEER_CACHE_CAPACITY = 4096;
const peerCache = new Map<string, PeerId>();

export function peerId(v: unknown, what: string): PeerId {
  const b = fixedBytes(v, 32, what);
  const hex = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  const cached = peerCache.get(hex);
  if (cached !== undefined) return cached;
  let id: PeerId;
  try {
    id = PeerId.fromBytes(b);
  } catch (err) {
    return fail(`${what}: not an ed25519 public key`, err);
  }
  if (peerCache.size >= PEER_CACHE_CAPACITY) peerCache.clear();
  peerCache.set(hex, id);
  return id;
}

/** A record with a small integer `t` field. */
export function tagged(v: unknown, what: string): { readonly t: number } & Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array)
    fail(`${what}: expected a map`);
  const t = (v as Record<string, unknown>).t;
  if (typeof t !== 'number' || !Number.isInteger(t)) fail(`${what}: missing message type`);
  return v as { readonly t: number } & Record<string, unknown>;
}
