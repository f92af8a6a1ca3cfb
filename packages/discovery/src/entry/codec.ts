/**
 * Decoding of `PeerEntry` bytes. Strict: the shape, the limits and the canonical form (sets
 * strictly ascending, no duplicates) are all checked, so one entry has exactly one encoding.
 */
import { type Codec, cborCodec, compareBytes, type Digest } from '@mosaik/id';
import { Ticket } from '@mosaik/tickets';
import { array, bytes, digest, fail, int, list, peerId, string } from '../check.js';
import { isValidRegion, MAX_REGION_LENGTH } from '../coordinates/geo.js';
import { decodeCoordinate, decodeLocation } from '../coordinates/wire.js';
import { EntryDecodeError } from '../errors.js';
import { PeerEntry, type PeerEntryFields } from './entry.js';

/** Limits on decoded entries; generous, but they bound what a peer can make us hold. */
export const ENTRY_LIMITS = Object.freeze({
  maxSetSize: 1024,
  maxTickets: 64,
  maxTicketBytes: 64 * 1024,
  maxAddresses: 32,
  maxAddressLength: 64,
  maxUrlLength: 2048,
  maxProtocolLength: 64,
});

const cbor: Codec<unknown> = cborCodec<unknown>();

/** Decodes CBOR to an untyped value; any decoder failure becomes an {@link EntryDecodeError}. */
export function decodeCbor(input: Uint8Array, what: string): unknown {
  if (!(input instanceof Uint8Array)) fail(`${what}: expected bytes`);
  try {
    return cbor.decode(input);
  } catch (err) {
    if (err instanceof EntryDecodeError) throw err;
    return fail(`${what}: not valid CBOR`, err);
  }
}

/** Decodes canonical entry bytes (unsigned; the caller verified any signature first). */
export function decodePeerEntry(input: Uint8Array): PeerEntry {
  return peerEntryFromWire(decodeCbor(input, 'entry'));
}

/** Validates the array form of an entry. */
export function peerEntryFromWire(value: unknown): PeerEntry {
  const items = array(value, 'entry');
  if (items.length !== 8 && items.length !== 9) fail(`entry: expected 8 or 9 items, got ${items.length}`);
  const [protocol, network, version, address, tags, streams, groups, tickets, extra] = items;
  const [startMs, updateMs] = array(version, 'entry.version', 2);
  const [id, direct, relay] = array(address, 'entry.address', 3);
  const directAddresses = list(direct, 'entry.address.direct', ENTRY_LIMITS.maxAddresses).map((a) =>
    string(a, 'entry.address.direct[]', ENTRY_LIMITS.maxAddressLength),
  );
  ascending(directAddresses, (a, b) => (a < b ? -1 : a > b ? 1 : 0), 'entry.address.direct');
  const ticketList = list(tickets, 'entry.tickets', ENTRY_LIMITS.maxTickets).map((t) => {
    const [klass, data] = array(t, 'entry.tickets[]', 2);
    return new Ticket(
      digest(klass, 'entry.tickets[].class'),
      bytes(data, 'entry.tickets[].data', ENTRY_LIMITS.maxTicketBytes),
    );
  });
  const ticketIds = ticketList.map((t) => t.id().bytes);
  ascending(ticketIds, compareBytes, 'entry.tickets');
  return PeerEntry.fromFields({
    protocol: string(protocol, 'entry.protocol', ENTRY_LIMITS.maxProtocolLength),
    network: digest(network, 'entry.network'),
    version: {
      startMs: int(startMs, 'entry.version.start'),
      updateMs: int(updateMs, 'entry.version.update'),
    },
    address: {
      peerId: peerId(id, 'entry.address.id'),
      directAddresses,
      relayUrl:
        relay === null || relay === undefined
          ? undefined
          : string(relay, 'entry.address.relay', ENTRY_LIMITS.maxUrlLength),
    },
    tags: digestList(tags, 'entry.tags'),
    streams: digestList(streams, 'entry.streams'),
    groups: digestList(groups, 'entry.groups'),
    tickets: ticketList,
    ...(items.length === 9 ? extensions(extra) : {}),
  });
}

/**
 * The ninth item: fields added after the first release, in a map. Keys this version does not
 * know are skipped, so a later release can add a field without older nodes refusing its
 * entries; the signature still covers them, since it is checked over the received bytes.
 */
function extensions(value: unknown): Pick<PeerEntryFields, 'coordinate' | 'region' | 'location'> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array)
    fail('entry.extensions: expected a map');
  const map = value as Record<string, unknown>;
  if (Object.keys(map).length === 0) fail('entry.extensions: empty (non-canonical; leave it out)');
  const region = map.r;
  if (region !== undefined && !isValidRegion(region))
    fail(`entry.region: expected a string of 1 to ${MAX_REGION_LENGTH} characters`);
  return {
    coordinate: map.c === undefined ? undefined : decodeCoordinate(map.c, 'entry.coordinate'),
    region: region as string | undefined,
    location: map.l === undefined ? undefined : decodeLocation(map.l, 'entry.location'),
  };
}

function digestList(value: unknown, what: string): Digest[] {
  const items = list(value, what, ENTRY_LIMITS.maxSetSize).map((v) => digest(v, `${what}[]`));
  ascending(
    items.map((d) => d.bytes),
    compareBytes,
    what,
  );
  return items;
}

function ascending<T>(items: readonly T[], cmp: (a: T, b: T) => number, what: string): void {
  for (let i = 1; i < items.length; i++) {
    if (cmp(items[i - 1] as T, items[i] as T) >= 0) fail(`${what}: not strictly ascending (non-canonical)`);
  }
}
