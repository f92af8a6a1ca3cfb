/**
 * Wire schemas of catalog sync.
 *
 * `/mosaik/discovery/sync/1.0`: each side sends one snapshot of its non-stale
 * signed entries (its own included). Kept for peers that still speak it.
 *
 * `/mosaik/discovery/sync/3` transfers only what the other side lacks, so a sync between two
 * peers that already know the same swarm costs a version summary instead of two full catalogs:
 *
 * 1. initiator → `Summary`: the key and version of every signed entry it holds, packed into one
 *    byte string of 24 bytes an entry (see {@link SUMMARY_ITEM_BYTES});
 * 2. acceptor → `Delta`: the signed entries the initiator lacks or holds older, plus the keys of
 *    the initiator's entries the acceptor wants (it lacks them or holds them older), packed;
 * 3. initiator → `Push`: the wanted entries. The acceptor merges and closes.
 *
 * A summary key is the first 8 bytes of a peer id, not all 32: summaries are most of the bytes a
 * forming swarm spends on sync (a summary goes out with every sync, and a delta only while the
 * catalogs differ). Two peers of one catalog share a key with odds of about n²/2⁶⁵, and forging
 * a key that collides with a given peer's takes some 2⁶⁴ key generations; a collision would only
 * keep that pair of entries out of sync between two nodes, never pass one entry off as another,
 * as every entry travels whole and signed. (`sync/2` sent whole ids in a CBOR array: 53 bytes an
 * entry on average against 24, and one array and one hex string per entry to decode.)
 *
 * The summary also carries the initiator's recent graceful departures, and the delta those of
 * peers the initiator still lists (field `d`, left out when empty; older peers ignore it): a
 * departure is a deletion, and anti-entropy that moved only entries could never undo a copy
 * held by a node that missed the departure's broadcast.
 *
 * One forged entry or departure rejects the whole message.
 */
import { cborCodec, type PeerId } from '@mosaik/id';
import { bytes, fail, list, tagged } from '../check.js';
import { decodeCbor } from '../entry/codec.js';
import { GracefulDeparture } from '../entry/departure.js';
import { SignedPeerEntry } from '../entry/signed.js';
import { compareVersions, type PeerEntryVersion } from '../entry/version.js';

/** ALPN of full-snapshot catalog sync (the first protocol version). */
export const SYNC_ALPN = '/mosaik/discovery/sync/1.0';

/** ALPN of summary-first catalog sync. */
export const SYNC_DELTA_ALPN = '/mosaik/discovery/sync/3';

/** Bytes of a summary key: the first bytes of a peer id (see the module comment). */
export const SUMMARY_KEY_BYTES = 8;

/** Bytes of one packed summary item: its key, then `startMs` and `updateMs` as big-endian i64. */
export const SUMMARY_ITEM_BYTES = SUMMARY_KEY_BYTES + 16;

/** Most entries (or summary items, or wanted ids) one message may hold. */
export const MAX_SNAPSHOT_ENTRIES = 10_000;

/** Most graceful departures one summary or delta may carry. */
export const MAX_SYNC_DEPARTURES = 256;

/** Message type tags of both sync versions. */
export const SyncType = {
  Snapshot: 0,
  Summary: 1,
  Delta: 2,
  Push: 3,
} as const;

/** `{ t: 0, e: [signed entry wire forms] }` (sync/1.0, both directions). */
export interface CatalogSnapshotMessage {
  readonly t: typeof SyncType.Snapshot;
  readonly entries: readonly SignedPeerEntry[];
}

/** One line of a summary: a peer's summary key (lowercase hex, see {@link summaryKeyOf}) and its version. */
export interface SummaryItem {
  readonly key: string;
  readonly version: PeerEntryVersion;
}

/** `{ t: 1, s: packed items, d?: [departures] }`: what the initiator holds. */
export interface SyncSummaryMessage {
  readonly t: typeof SyncType.Summary;
  readonly items: readonly SummaryItem[];
  /** The initiator's recent graceful departures (at most {@link MAX_SYNC_DEPARTURES}). */
  readonly departures?: readonly GracefulDeparture[];
}

/** `{ t: 2, e: [signed entries], w: packed keys }`: what the initiator lacks, and what we want. */
export interface SyncDeltaMessage {
  readonly t: typeof SyncType.Delta;
  readonly entries: readonly SignedPeerEntry[];
  /** Summary keys of the peers whose entries the acceptor wants. */
  readonly want: readonly string[];
  /** Departures of peers the initiator's summary still lists (at most {@link MAX_SYNC_DEPARTURES}). */
  readonly departures?: readonly GracefulDeparture[];
}

/** `{ t: 3, e: [signed entries] }`: the entries the acceptor asked for. */
export interface SyncPushMessage {
  readonly t: typeof SyncType.Push;
  readonly entries: readonly SignedPeerEntry[];
}

/** Any catalog sync message. */
export type SyncMessage = CatalogSnapshotMessage | SyncSummaryMessage | SyncDeltaMessage | SyncPushMessage;

const cbor = cborCodec<unknown>();
const KEY_HEX_CHARS = 2 * SUMMARY_KEY_BYTES;
const TWO_32 = 2 ** 32;

/** A peer's summary key: the hex of the first {@link SUMMARY_KEY_BYTES} bytes of its id. */
export function summaryKeyOf(peer: PeerId): string {
  return peer.toString().slice(0, KEY_HEX_CHARS);
}

/** The summary line of a signed entry. */
export function summaryItemOf(signed: SignedPeerEntry): SummaryItem {
  return { key: summaryKeyOf(signed.peerId), version: signed.entry.version };
}

/** Summary items packed {@link SUMMARY_ITEM_BYTES} bytes each: key, startMs, updateMs. */
function packSummary(items: readonly SummaryItem[]): Uint8Array {
  const out = Buffer.alloc(items.length * SUMMARY_ITEM_BYTES);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let at = 0;
  for (const item of items) {
    out.write(item.key, at, SUMMARY_KEY_BYTES, 'hex');
    writeI64(view, at + SUMMARY_KEY_BYTES, item.version.startMs);
    writeI64(view, at + SUMMARY_KEY_BYTES + 8, item.version.updateMs);
    at += SUMMARY_ITEM_BYTES;
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * A packed field of whole `itemBytes`-byte items (at most {@link MAX_SNAPSHOT_ENTRIES}), with its
 * hex: one conversion for the whole field, each key a slice of it.
 */
function unpack(value: unknown, what: string, itemBytes: number): { packed: Uint8Array; hex: string } {
  const packed = bytes(value, what, MAX_SNAPSHOT_ENTRIES * itemBytes);
  if (packed.length % itemBytes !== 0)
    fail(`${what}: ${packed.length} bytes is no whole number of ${itemBytes}-byte items`);
  return { packed, hex: Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength).toString('hex') };
}

function unpackSummary(value: unknown): SummaryItem[] {
  const { packed, hex } = unpack(value, 'catalog summary', SUMMARY_ITEM_BYTES);
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const items: SummaryItem[] = [];
  for (let at = 0; at < packed.length; at += SUMMARY_ITEM_BYTES) {
    items.push({
      key: hex.slice(2 * at, 2 * at + KEY_HEX_CHARS),
      version: {
        startMs: readI64(view, at + SUMMARY_KEY_BYTES, 'summary startMs'),
        updateMs: readI64(view, at + SUMMARY_KEY_BYTES + 8, 'summary updateMs'),
      },
    });
  }
  return items;
}

function packKeys(keys: readonly string[]): Uint8Array {
  const out = Buffer.alloc(keys.length * SUMMARY_KEY_BYTES);
  keys.forEach((key, i) => {
    out.write(key, i * SUMMARY_KEY_BYTES, SUMMARY_KEY_BYTES, 'hex');
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

function unpackKeys(value: unknown): string[] {
  const { hex } = unpack(value, 'catalog sync wants', SUMMARY_KEY_BYTES);
  const keys: string[] = [];
  for (let at = 0; at < hex.length; at += KEY_HEX_CHARS) keys.push(hex.slice(at, at + KEY_HEX_CHARS));
  return keys;
}

/** A safe integer as a big-endian two's-complement i64 (versions are checked safe integers). */
function writeI64(view: DataView, at: number, value: number): void {
  const high = Math.floor(value / TWO_32);
  view.setInt32(at, high);
  view.setUint32(at + 4, value - high * TWO_32);
}

function readI64(view: DataView, at: number, what: string): number {
  const value = view.getInt32(at) * TWO_32 + view.getUint32(at + 4);
  if (!Number.isSafeInteger(value)) fail(`${what}: expected a safe integer`);
  return value;
}

/** Plain CBOR-ready object of a sync message. */
export function syncMessageToWire(m: SyncMessage): Record<string, unknown> {
  switch (m.t) {
    case SyncType.Snapshot:
    case SyncType.Push:
      return { t: m.t, e: m.entries.map((s) => s.toWire()) };
    case SyncType.Summary:
      return {
        t: m.t,
        s: packSummary(m.items),
        ...departuresToWire(m.departures),
      };
    case SyncType.Delta:
      return {
        t: m.t,
        e: m.entries.map((s) => s.toWire()),
        w: packKeys(m.want),
        ...departuresToWire(m.departures),
      };
  }
}

function departuresToWire(departures: readonly GracefulDeparture[] | undefined): { d?: unknown[] } {
  return departures === undefined || departures.length === 0 ? {} : { d: departures.map((d) => d.toWire()) };
}

/** The optional departures field: absent or a list of verified departures. */
function departuresFromWire(value: unknown): { departures?: GracefulDeparture[] } {
  if (value === undefined) return {};
  return {
    departures: list(value, 'catalog sync departures', MAX_SYNC_DEPARTURES).map((d) =>
      GracefulDeparture.fromWire(d),
    ),
  };
}

function entries(value: unknown): SignedPeerEntry[] {
  return list(value, 'catalog sync entries', MAX_SNAPSHOT_ENTRIES).map((e) => SignedPeerEntry.fromWire(e));
}

/**
 * Validates a decoded sync message of either version; every entry is verified. Any bad part
 * throws (the caller closes with `ProtocolViolation`). Unknown fields are ignored, so a later
 * version may add some.
 */
export function syncMessageFromWire(value: unknown): SyncMessage {
  const w = tagged(value, 'catalog sync');
  switch (w.t) {
    case SyncType.Snapshot:
      return { t: SyncType.Snapshot, entries: entries(w.e) };
    case SyncType.Push:
      return { t: SyncType.Push, entries: entries(w.e) };
    case SyncType.Summary:
      return { t: SyncType.Summary, items: unpackSummary(w.s), ...departuresFromWire(w.d) };
    case SyncType.Delta:
      return {
        t: SyncType.Delta,
        entries: entries(w.e),
        want: unpackKeys(w.w),
        ...departuresFromWire(w.d),
      };
    default:
      return fail(`catalog sync: unknown type ${String(w.t)}`);
  }
}

/** CBOR bytes of a sync message. */
export function encodeSyncMessage(m: SyncMessage): Uint8Array {
  return cbor.encode(syncMessageToWire(m));
}

/** A sync message from CBOR bytes, every entry verified; throws on bad input. */
export function decodeSyncMessage(input: Uint8Array): SyncMessage {
  return syncMessageFromWire(decodeCbor(input, 'catalog sync'));
}

/** A sync message of the expected type; throws on any other. */
export function decodeSyncMessageOf<T extends SyncMessage['t']>(
  input: Uint8Array,
  type: T,
): Extract<SyncMessage, { t: T }> {
  const m = decodeSyncMessage(input);
  if (m.t !== type) fail(`catalog sync: expected message type ${type}, got ${m.t}`);
  return m as Extract<SyncMessage, { t: T }>;
}

/** Entries of `ours` the holder of `theirs` lacks or holds at an older version. */
export function entriesMissingFrom(
  ours: readonly SignedPeerEntry[],
  theirs: readonly SummaryItem[],
): SignedPeerEntry[] {
  const known = versionsByKey(theirs);
  return ours.filter((s) => {
    const v = known.get(summaryKeyOf(s.peerId));
    return v === undefined || isOlder(v, s.entry.version);
  });
}

/** Summary keys of `theirs` whose entries we lack or hold at an older version (never `self`'s). */
export function wantedFrom(
  theirs: readonly SummaryItem[],
  ours: readonly SignedPeerEntry[],
  self: PeerId,
): string[] {
  const held = new Map(ours.map((s) => [summaryKeyOf(s.peerId), s.entry.version]));
  const me = summaryKeyOf(self);
  return theirs
    .filter((i) => {
      if (i.key === me) return false;
      const v = held.get(i.key);
      return v === undefined || isOlder(v, i.version);
    })
    .map((i) => i.key);
}

/** The entries of `ours` whose summary keys are in `wanted`. */
export function entriesWanted(
  ours: readonly SignedPeerEntry[],
  wanted: readonly string[],
): SignedPeerEntry[] {
  const keys = new Set(wanted);
  return ours.filter((s) => keys.has(summaryKeyOf(s.peerId)));
}

/** The departures of peers `theirs` still lists at or below the departed version. */
export function departuresCovering(
  theirs: readonly SummaryItem[],
  departures: readonly GracefulDeparture[],
): GracefulDeparture[] {
  const held = versionsByKey(theirs);
  return departures.filter((d) => {
    const v = held.get(summaryKeyOf(d.peerId));
    return v !== undefined && compareVersions(v, d.lastVersion) <= 0;
  });
}

function versionsByKey(items: readonly SummaryItem[]): Map<string, PeerEntryVersion> {
  return new Map(items.map((i) => [i.key, i.version]));
}

function isOlder(a: PeerEntryVersion, b: PeerEntryVersion): boolean {
  return a.startMs < b.startMs || (a.startMs === b.startMs && a.updateMs < b.updateMs);
}
