import { cborCodec, id, MosaikError } from '@mosaik/id';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { key, signedOf, T0 } from '../../test/fixtures.js';
import { decodePeerEntry } from '../entry/codec.js';
import { GracefulDeparture } from '../entry/departure.js';
import { SignedPeerEntry } from '../entry/signed.js';
import { MessageType } from '../gossip/types.js';
import {
  AnnouncementType,
  decodeAddressData,
  decodeAnnounceFrame,
  decodeAnnouncement,
  encodeAddressData,
  encodeAnnounceFrame,
  encodeAnnouncement,
  entryAnnouncement,
  HELLO,
} from './announce.js';
import { decodePingMessage, encodePingMessage } from './ping.js';
import { decodeSyncMessage, encodeSyncMessage } from './sync.js';

const a = key(1);
const b = key(2);
const signed = signedOf(a, { tags: ['x', 'y'] });

const decoders: [string, (bytes: Uint8Array) => unknown, Uint8Array][] = [
  ['entry', decodePeerEntry, signed.entry.encode()],
  ['signed entry', SignedPeerEntry.decode, signed.encode()],
  [
    'announce frame',
    (x) => decodeAnnounceFrame(x),
    encodeAnnounceFrame({
      t: MessageType.Shuffle,
      origin: { id: a.peerId, data: new Uint8Array([1]) },
      nodes: [{ id: b.peerId }],
      ttl: 3,
    }),
  ],
  [
    'announcement',
    decodeAnnouncement,
    encodeAnnouncement({ t: AnnouncementType.EntryUpdate, entry: signed }),
  ],
  [
    'departure',
    decodeAnnouncement,
    encodeAnnouncement({
      t: AnnouncementType.Departure,
      departure: GracefulDeparture.create(a, signed.entry.network, signed.entry.version, T0),
    }),
  ],
  ['sync', decodeSyncMessage, encodeSyncMessage({ t: 0, entries: [signed, signedOf(b)] })],
  ['ping', decodePingMessage, encodePingMessage({ t: 1, entry: signed })],
  [
    'address',
    (x) => decodeAddressData(a.peerId, x),
    encodeAddressData({ directAddresses: ['1.2.3.4:5'], relayUrl: 'https://r/' }),
  ],
];

/** Runs a decoder; anything thrown must be a MosaikError with a code. */
function decodeTyped(decode: (b: Uint8Array) => unknown, input: Uint8Array): void {
  try {
    decode(input);
  } catch (err) {
    if (!(err instanceof MosaikError) || typeof err.code !== 'string')
      throw new Error(`untyped error: ${String(err)}`);
  }
}

describe('decoders never throw anything but typed errors', () => {
  for (const [name, decode, valid] of decoders) {
    it(`${name}: round-trips its sample`, () => {
      expect(() => decode(valid)).not.toThrow();
    });

    it(`${name}: random bytes`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => decodeTyped(decode, bytes)),
        { numRuns: 300 },
      );
    });

    it(`${name}: every truncation is a typed error`, () => {
      for (let n = 0; n < valid.length; n++) {
        expect(() => decode(valid.subarray(0, n)), `truncated to ${n}`).toThrow(MosaikError);
      }
    });

    it(`${name}: single-byte corruptions`, () => {
      fc.assert(
        fc.property(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
          const copy = new Uint8Array(valid);
          copy[at] = (copy[at] as number) ^ xor;
          decodeTyped(decode, copy);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('random CBOR values are typed errors too', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        const bytes = tryEncode(v);
        if (bytes === undefined) return;
        for (const [, decode] of decoders) decodeTyped(decode, bytes);
      }),
      { numRuns: 200 },
    );
  });
});

const cbor = cborCodec<unknown>();

function tryEncode(v: unknown): Uint8Array | undefined {
  try {
    return cbor.encode(v);
  } catch {
    return undefined;
  }
}

describe('announce schema', () => {
  it('round-trips every gossip message type', () => {
    const id32 = new Uint8Array(32).fill(3);
    const frames = [
      { t: HELLO, network: id('n') },
      { t: MessageType.Join, data: new Uint8Array([1]) },
      { t: MessageType.Join, data: undefined },
      { t: MessageType.ForwardJoin, peer: { id: a.peerId, data: undefined }, ttl: 6 },
      {
        t: MessageType.Shuffle,
        origin: { id: a.peerId, data: new Uint8Array([2]) },
        nodes: [{ id: b.peerId, data: undefined }],
        ttl: 6,
      },
      { t: MessageType.ShuffleReply, nodes: [] },
      { t: MessageType.Neighbor, high: true, data: undefined },
      { t: MessageType.Disconnect, alive: false },
      { t: MessageType.Gossip, id: id32, content: new Uint8Array([9, 9]), round: 4 },
      { t: MessageType.Prune },
      { t: MessageType.Graft, id: id32, round: 1 },
      { t: MessageType.Graft, id: undefined, round: 1 },
      { t: MessageType.IHave, entries: [{ id: id32, round: 2 }] },
    ] as const;
    for (const f of frames) expect(decodeAnnounceFrame(encodeAnnounceFrame(f))).toEqual(f);
  });

  it('refuses a gossip payload above the cap', () => {
    const big = encodeAnnounceFrame({
      t: MessageType.Gossip,
      id: new Uint8Array(32),
      content: new Uint8Array(5000),
      round: 0,
    });
    expect(() => decodeAnnounceFrame(big, 4096)).toThrow(/longer than 4096/);
    expect(decodeAnnounceFrame(big, 8192).t).toBe(MessageType.Gossip);
  });

  it('announces a small "I changed" header for entries above the gossip cap', () => {
    const small = decodeAnnouncement(entryAnnouncement(signed, 4096));
    expect(small.t).toBe(AnnouncementType.EntryUpdate);
    const header = entryAnnouncement(signed, 64);
    expect(header.length).toBeLessThanOrEqual(64);
    const decoded = decodeAnnouncement(header);
    expect(decoded).toEqual({
      t: AnnouncementType.EntryChanged,
      peerId: a.peerId,
      version: signed.entry.version,
    });
  });

  it('a departure verifies and round-trips', () => {
    const d = GracefulDeparture.create(a, signed.entry.network, signed.entry.version, T0);
    const back = decodeAnnouncement(encodeAnnouncement({ t: AnnouncementType.Departure, departure: d }));
    if (back.t !== AnnouncementType.Departure) throw new Error('wrong type');
    expect(back.departure.peerId.equals(a.peerId)).toBe(true);
    expect(back.departure.lastVersion).toEqual(signed.entry.version);
    expect(back.departure.timestampMs).toBe(T0);
    // Presented as b's departure, it fails.
    expect(() => GracefulDeparture.fromWire([b.peerId.bytes, d.bytes, d.signature])).toThrow(MosaikError);
  });
});

describe('sync schema', () => {
  it('one forged entry rejects the whole snapshot', () => {
    const good = signedOf(b);
    const forged = [a.peerId.bytes, signedOf(a, { tags: ['evil'] }).bytes, signed.signature];
    const bytes = cbor.encode({ t: 0, e: [good.toWire(), forged] });
    expect(() => decodeSyncMessage(bytes)).toThrow(MosaikError);
    expect(decodeSyncMessage(encodeSyncMessage({ t: 0, entries: [good, signed] })).entries).toHaveLength(2);
  });
});
