/**
 * Wire schemas of catalog sync.
 *
 * `/mosaik/discovery/sync/1.0`: each side sends one snapshot of its non-stale
 * signed entries (its own included). Kept for peers that still speak it.
 *
 * `/mosaik/discovery/sync/2` transfers only what the other side lacks, so a sync between two
 * peers that already know the same swarm costs a version summary instead of two full catalogs:
 *
 * 1. initiator → `Summary`: `[peer id, startMs, updateMs]` of every signed entry it holds;
 * 2. acceptor → `Delta`: the signed entries the initiator lacks or holds older, plus the ids of
 *    the initiator's entries the acceptor wants (it lacks them or holds them older);
 * 3. initiator → `Push`: the wanted entries. The acceptor merges and closes.
 *
 * The summary also carries the initiator's recent graceful departures, and the delta those of
 * peers the initiator still lists (field `d`, left out when empty; older peers ignore it): a
 * departure is a deletion, and anti-entropy that moved only entries could never undo a copy
 * held by a node that missed the departure's broadcast.
 *
 * One forged entry or departure rejects the whole message.
 */
import { cborCodec, type PeerId } from '@mosaik/id';
import { fail, fixedBytes, int, list, tagged } from '../check.js';
import { decodeCbor } from '../entry/codec.js';
import { GracefulDeparture } from '../entry/departure.js';
import { SignedPeerEntry } from '../entry/signed.js';
import { compareVersions, type PeerEntryVersion } from '../entry/version.js';

/** ALPN of full-snapshot catalog sync (the first protocol version). */
export const SYNC_ALPN = '/mosaik/discovery/sync/1.0';

/** ALPN of summary-first catalog sync. */
export const SYNC_DELTA_ALPN = '/mosaik/discovery/sync/2';

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

/** One line of a summary: a peer (as lowercase hex, never decoded to a point) and its version. */
export interface SummaryItem {
  readonly peer: string;
  readonly version: PeerEntryVersion;
}

/** `{ t: 1, s: [[id, startMs, updateMs], …], d?: [departures] }`: what the initiator holds. */
export interface SyncSummaryMessage {
  readonly t: typeof SyncType.Summary;
  readonly items: readonly SummaryItem[];
  /** The initiator's recent graceful departures (at most {@link MAX_SYNC_DEPARTURES}). */
  readonly departures?: readonly GracefulDeparture[];
}

/** `{ t: 2, e: [signed entries], w: [ids] }`: what the initiator lacks, and what we want. */
export interface SyncDeltaMessage {
  readonly t: typeof SyncType.Delta;
  readonly entries: readonly SignedPeerEntry[];
  /** Peers (lowercase hex) whose entries the acceptor wants. */
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
const hexOf = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const bytesOf = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));

/** The summary line of a signed entry. */
export function summaryItemOf(signed: SignedPeerEntry): SummaryItem {
  return { peer: signed.peerId.toString(), version: signed.entry.version };
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
        s: m.items.map((i) => [bytesOf(i.peer), i.version.startMs, i.version.updateMs]),
        ...departuresToWire(m.departures),
      };
    case SyncType.Delta:
      return {
        t: m.t,
        e: m.entries.map((s) => s.toWire()),
        w: m.want.map(bytesOf),
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

function peerHex(value: unknown, what: string): string {
  return hexOf(fixedBytes(value, 32, what));
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
      return {
        t: SyncType.Summary,
        items: list(w.s, 'catalog summary', MAX_SNAPSHOT_ENTRIES).map((item) => {
          const [peer, start, update] = list(item, 'catalog summary item', 3);
          if (peer === undefined || update === undefined) fail('catalog summary item: expected 3 items');
          return {
            peer: peerHex(peer, 'catalog summary peer'),
            version: {
              startMs: int(start, 'summary startMs', 0),
              updateMs: int(update, 'summary updateMs', 0),
            },
          };
        }),
        ...departuresFromWire(w.d),
      };
    case SyncType.Delta:
      return {
        t: SyncType.Delta,
        entries: entries(w.e),
        want: list(w.w, 'catalog sync wants', MAX_SNAPSHOT_ENTRIES).map((p) => peerHex(p, 'wanted peer')),
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
  const known = new Map(theirs.map((i) => [i.peer, i.version]));
  return ours.filter((s) => {
    const v = known.get(s.peerId.toString());
    return v === undefined || isOlder(v, s.entry.version);
  });
}

/** Peers of `theirs` whose entries we lack or hold at an older version (never `self`). */
export function wantedFrom(
  theirs: readonly SummaryItem[],
  ours: readonly SignedPeerEntry[],
  self: PeerId,
): string[] {
  const held = new Map(ours.map((s) => [s.peerId.toString(), s.entry.version]));
  const me = self.toString();
  return theirs
    .filter((i) => {
      if (i.peer === me) return false;
      const v = held.get(i.peer);
      return v === undefined || isOlder(v, i.version);
    })
    .map((i) => i.peer);
}

/** The departures of peers `theirs` still lists at or below the departed version. */
export function departuresCovering(
  theirs: readonly SummaryItem[],
  departures: readonly GracefulDeparture[],
): GracefulDeparture[] {
  const held = new Map(theirs.map((i) => [i.peer, i.version]));
  return departures.filter((d) => {
    const v = held.get(d.peerId.toString());
    return v !== undefined && compareVersions(v, d.lastVersion) <= 0;
  });
}

function isOlder(a: PeerEntryVersion, b: PeerEntryVersion): boolean {
  return a.startMs < b.startMs || (a.startMs === b.startMs && a.updateMs < b.updateMs);
}
