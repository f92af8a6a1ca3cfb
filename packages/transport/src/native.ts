/**
 * The one place that touches the `@number0/iroh` binding's byte representation.
 *
 * Every byte API of iroh-js takes and returns a plain `Array<number>`, converted
 * element by element inside the native call. Nothing outside this module sees
 * `Array<number>`: the rest of the package works with `Uint8Array`.
 */
import { createRequire } from 'node:module';

// With RUST_BACKTRACE=1 in the environment every binding error captures a full
// Rust backtrace (slow and huge). This must be set before the binding loads.
process.env.RUST_LIB_BACKTRACE ??= '0';

// The package's `main` points to a missing file; loading index.js directly avoids
// Node's DEP0128 warning on every load.
const require = createRequire(import.meta.url);
const iroh: typeof import('@number0/iroh') = require('@number0/iroh/index.js');

export const {
  Endpoint: NativeEndpoint,
  EndpointAddr: NativeEndpointAddr,
  EndpointId: NativeEndpointId,
  RelayMode: NativeRelayMode,
  presetMinimal,
  presetN0,
} = iroh;
export type {
  BiStream as NativeBiStream,
  Connection as NativeConnection,
  Endpoint as NativeEndpointType,
  EndpointAddr as NativeEndpointAddrType,
  EndpointId as NativeEndpointIdType,
  Incoming as NativeIncoming,
  RecvStream as NativeRecvStream,
  SendStream as NativeSendStream,
} from '@number0/iroh';

/** Converts bytes to the binding's array form. A plain loop beats `Array.from` by ~4x. */
export function toNative(bytes: Uint8Array): number[] {
  return toNativeParts([bytes], bytes.length);
}

/**
 * A conversion buffer owned by one writer. The binding copies an array's elements
 * during the call itself, so a writer can refill the same array for every write of
 * the same size. It must never be shared between writers: a writer converts its
 * next slice while its previous write is in flight.
 */
export class NativeScratch {
  array: number[] = [];
}

/**
 * Converts the concatenation of `parts` (`total` bytes in all) to the binding's
 * array form in one pass, with no intermediate buffer. With a `scratch`, the
 * result is only valid until the next call with that scratch: pass it straight
 * to the binding.
 */
export function toNativeParts(
  parts: readonly Uint8Array[],
  total: number,
  scratch?: NativeScratch,
): number[] {
  const out = scratch && total === scratch.array.length ? scratch.array : new Array<number>(total);
  let at = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) out[at++] = part[i]!;
  }
  if (scratch && total >= 4096) scratch.array = out;
  return out;
}

/**
 * Converts the binding's array form back to bytes. A plain loop: the binding fills its arrays
 * through N-API, which leaves them with V8's generic (not small-integer) element kind, and
 * `Uint8Array.from` takes a slow path on those (about 30 ns a byte against 3–5 for the loop).
 */
export function fromNative(array: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(array.length);
  for (let i = 0; i < array.length; i++) bytes[i] = array[i]!;
  return bytes;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** An ALPN or close reason string in the binding's array form. */
export function nativeString(text: string): number[] {
  return toNative(textEncoder.encode(text));
}

/** Decodes an ALPN returned by the binding. */
export function stringFromNative(array: readonly number[]): string {
  return textDecoder.decode(fromNative(array));
}
