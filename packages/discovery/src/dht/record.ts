/**
 * The record a node publishes into a DHT slot: a pkarr-format DNS packet, the format
 * Rust nodes publish and read, so both find each other in the same slots.
 *
 * - `_id` TXT: base58 (Bitcoin alphabet) of the 32-byte PeerId;
 * - one `_ip` TXT per direct address, `ip:port` or `[v6]:port`;
 * - one `_r` TXT per relay URL;
 *
 * every name suffixed with the slot's z-base-32 origin as pkarr normalises them, TTL 600 s.
 * Decoding never throws: anything malformed yields an `invalid` record with a reason.
 */
import { PeerId } from '@mosaik/id';
import type { EndpointAddr } from '@mosaik/transport';
import dnsPacket, { type Answer } from 'dns-packet';
import { fromBase58, toBase58 } from './base58.js';
import { DhtRecordTooLargeError } from './errors.js';
import { isSocketAddress } from './types.js';

/** TTL of every TXT record (`PEER_RECORD_TTL`, seconds). */
export const PEER_RECORD_TTL = 600;

/** Largest encoded DNS packet a BEP44 item may carry (pkarr's limit; BEP44 requires < 1000). */
export const MAX_PACKET_BYTES = 999;

/** What a slot holds, once its packet is decoded. */
export type SlotRecord =
  | { readonly kind: 'peer'; readonly addr: EndpointAddr }
  | { readonly kind: 'invalid'; readonly reason: string };

/** A TXT character-string is at most 255 bytes; longer values are split. */
function chunks(value: string): Buffer[] {
  const bytes = Buffer.from(value, 'utf8');
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 255) out.push(bytes.subarray(i, i + 255));
  return out.length === 0 ? [Buffer.alloc(0)] : out;
}

function txt(name: string, origin: string, value: string): Answer {
  return { type: 'TXT', name: `${name}.${origin}`, ttl: PEER_RECORD_TTL, class: 'IN', data: chunks(value) };
}

function packetOf(addr: EndpointAddr, origin: string, direct: readonly string[]): Buffer {
  const answers: Answer[] = [txt('_id', origin, toBase58(addr.id.bytes))];
  for (const a of direct) answers.push(txt('_ip', origin, a));
  if (addr.relayUrl !== undefined) answers.push(txt('_r', origin, addr.relayUrl));
  return dnsPacket.encode({ type: 'response', id: 0, flags: dnsPacket.AUTHORITATIVE_ANSWER, answers });
}

/**
 * The DNS packet announcing `addr` in the slot whose z-base-32 name is `origin`. Direct addresses
 * that do not fit the 1000-byte limit are left out (the first ones are kept); throws
 * {@link DhtRecordTooLargeError} if even the id and relay alone do not fit.
 */
export function encodeSlotRecord(addr: EndpointAddr, origin: string): Uint8Array {
  let direct = [...addr.directAddresses];
  for (;;) {
    const packet = packetOf(addr, origin, direct);
    if (packet.length <= MAX_PACKET_BYTES)
      return new Uint8Array(packet.buffer, packet.byteOffset, packet.length);
    if (direct.length === 0) throw new DhtRecordTooLargeError(`slot record of ${packet.length} bytes`);
    direct = direct.slice(0, -1);
  }
}

function isRelayUrl(s: string): boolean {
  if (!URL.canParse(s)) return false;
  const { protocol } = new URL(s);
  return protocol === 'http:' || protocol === 'https:';
}

/** The record's own label: `_id.<origin>` → `_id`; names outside the origin keep their full form. */
function label(name: string, origin: string | undefined): string {
  const lower = name.toLowerCase();
  if (origin === undefined) return lower.split('.')[0] ?? lower;
  const suffix = `.${origin.toLowerCase()}`;
  return lower.endsWith(suffix) ? lower.slice(0, -suffix.length) : lower;
}

function txtValue(data: unknown): string | undefined {
  const parts = Array.isArray(data) ? data : [data];
  let out = '';
  for (const part of parts) {
    if (Buffer.isBuffer(part)) out += part.toString('utf8');
    else if (typeof part === 'string') out += part;
    else return undefined;
  }
  return out;
}

/**
 * Decodes a slot's DNS packet. `origin` (the slot's z-base-32 name) restricts the records read to
 * that zone; without it only the first label of each name counts. Never throws: a packet that is
 * not DNS, lacks `_id`, has a malformed id or address gives `{ kind: 'invalid', reason }`.
 */
export function decodeSlotRecord(packet: Uint8Array, origin?: string): SlotRecord {
  let answers: readonly Answer[];
  try {
    answers = dnsPacket.decode(Buffer.from(packet.buffer, packet.byteOffset, packet.length)).answers ?? [];
  } catch {
    return { kind: 'invalid', reason: 'not a DNS packet' };
  }
  let idText: string | undefined;
  const direct: string[] = [];
  let relayUrl: string | undefined;
  for (const answer of answers) {
    if (answer.type !== 'TXT') continue;
    const name = label(answer.name, origin);
    const value = txtValue(answer.data);
    if (value === undefined) return { kind: 'invalid', reason: `unreadable ${name} record` };
    if (name === '_id') idText ??= value;
    else if (name === '_ip') {
      if (!isSocketAddress(value)) return { kind: 'invalid', reason: 'malformed address' };
      if (!direct.includes(value)) direct.push(value);
    } else if (name === '_r') {
      if (!isRelayUrl(value)) return { kind: 'invalid', reason: 'malformed relay url' };
      relayUrl ??= value;
    }
  }
  if (idText === undefined) return { kind: 'invalid', reason: 'missing _id' };
  const bytes = fromBase58(idText);
  if (bytes === undefined || bytes.length !== 32) return { kind: 'invalid', reason: 'malformed peer id' };
  let id: PeerId;
  try {
    id = PeerId.fromBytes(bytes);
  } catch {
    return { kind: 'invalid', reason: 'malformed peer id' };
  }
  return {
    kind: 'peer',
    addr: { id, ...(relayUrl !== undefined ? { relayUrl } : {}), directAddresses: direct },
  };
}
