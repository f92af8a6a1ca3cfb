/**
 * Wire schema of `/mosaik/discovery/sync/1.0`: each side sends one snapshot of its
 * non-stale signed entries (its own included). One forged entry rejects the whole snapshot.
 */
import { cborCodec } from '@mosaik/id';
import { fail, list, tagged } from '../check.js';
import { decodeCbor } from '../entry/codec.js';
import { SignedPeerEntry } from '../entry/signed.js';

/** ALPN of catalog sync. */
export const SYNC_ALPN = '/mosaik/discovery/sync/1.0';

/** Most entries one snapshot may hold. */
export const MAX_SNAPSHOT_ENTRIES = 10_000;

/** `{ t: 0, e: [signed entry wire forms] }`. */
export interface CatalogSnapshotMessage {
  readonly t: 0;
  readonly entries: readonly SignedPeerEntry[];
}

const cbor = cborCodec<unknown>();

/** Plain CBOR-ready object of a catalog snapshot. */
export function syncMessageToWire(m: CatalogSnapshotMessage): Record<string, unknown> {
  return { t: 0, e: m.entries.map((s) => s.toWire()) };
}

/** Verifies every entry; any bad one throws (the caller closes with `ProtocolViolation`). */
export function syncMessageFromWire(value: unknown): CatalogSnapshotMessage {
  const w = tagged(value, 'catalog snapshot');
  if (w.t !== 0) fail(`catalog snapshot: unknown type ${w.t}`);
  return {
    t: 0,
    entries: list(w.e, 'catalog snapshot', MAX_SNAPSHOT_ENTRIES).map((e) => SignedPeerEntry.fromWire(e)),
  };
}

/** CBOR bytes of a catalog snapshot. */
export function encodeSyncMessage(m: CatalogSnapshotMessage): Uint8Array {
  return cbor.encode(syncMessageToWire(m));
}

/** The catalog snapshot in CBOR bytes, every entry verified; throws on bad input. */
export function decodeSyncMessage(input: Uint8Array): CatalogSnapshotMessage {
  return syncMessageFromWire(decodeCbor(input, 'catalog snapshot'));
}
