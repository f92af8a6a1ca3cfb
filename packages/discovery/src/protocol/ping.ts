/**
 * Wire schema of `/mosaik/discovery/ping/1.0`: the client sends `{t: 0}`; the server
 * answers `{t: 1, e}` with its entry re-signed one version up (not stored).
 */
import { cborCodec } from '@mosaik/id';
import { fail, tagged } from '../check.js';
import { decodeCbor } from '../entry/codec.js';
import { SignedPeerEntry } from '../entry/signed.js';

/** ALPN of ping. */
export const PING_ALPN = '/mosaik/discovery/ping/1.0';

/** A ping request (`t: 0`) or its reply carrying the responder's signed entry (`t: 1`). */
export type PingMessage = { readonly t: 0 } | { readonly t: 1; readonly entry: SignedPeerEntry };

const cbor = cborCodec<unknown>();

/** Plain CBOR-ready object of a ping message. */
export function pingMessageToWire(m: PingMessage): Record<string, unknown> {
  return m.t === 0 ? { t: 0 } : { t: 1, e: m.entry.toWire() };
}

/** The ping message in a decoded CBOR value; throws on a malformed one. */
export function pingMessageFromWire(value: unknown): PingMessage {
  const w = tagged(value, 'ping');
  if (w.t === 0) return { t: 0 };
  if (w.t === 1) return { t: 1, entry: SignedPeerEntry.fromWire(w.e) };
  return fail(`ping: unknown type ${w.t}`);
}

/** CBOR bytes of a ping message. */
export function encodePingMessage(m: PingMessage): Uint8Array {
  return cbor.encode(pingMessageToWire(m));
}

/** The ping message in CBOR bytes; throws on malformed input. */
export function decodePingMessage(input: Uint8Array): PingMessage {
  return pingMessageFromWire(decodeCbor(input, 'ping'));
}
