import { cborCodec, MosaikError } from '@mosaik/id';
import { fuzzDecoder } from '@mosaik/tooling/fuzz';
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
} from './announce.js';
import { decodePingMessage, encodePingMessage } from './ping.js';
import { decodeSyncMessage, encodeSyncMessage, summaryItemOf, summaryKeyOf } from './sync.js';

const a = key(1);
const b = key(2);
const signed = signedOf(a, { tags: ['x', 'y'] });
const placed = SignedPeerEntry.sign(
  signed.entry
    .setCoordinate({ vector: [1, -2, 3, 0, 0, 0.5, 0, 9], height: 4, error: 0.3 }, T0)
    .setRegion('eu-west', T0)
    .setLocation({ lat: 52.52, lon: 13.405 }, T0),
  a,
);

const decoders: [string, (bytes: Uint8Array) => unknown, Uint8Array][] = [
  ['entry', decodePeerEntry, signed.entry.encode()],
  ['signed entry', SignedPeerEntry.decode, signed.encode()],
  ['entry with coordinate, region and location', decodePeerEntry, placed.entry.encode()],
  ['signed entry with coordinate', SignedPeerEntry.decode, placed.encode()],
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
    'announce gossip with a root',
    (x) => decodeAnnounceFrame(x),
    encodeAnnounceFrame({
      t: MessageType.Gossip,
      id: new Uint8Array(32).fill(1),
      content: new Uint8Array([1, 2, 3]),
      round: 2,
      root: new Uint8Array(8).fill(5),
    }),
  ],
  [
    'announce graft with a root',
    (x) => decodeAnnounceFrame(x),
    encodeAnnounceFrame({ t: MessageType.Graft, round: 2, root: new Uint8Array(8).fill(5) }),
  ],
  [
    'announce prune with a root',
    (x) => decodeAnnounceFrame(x),
    encodeAnnounceFrame({ t: MessageType.Prune, root: new Uint8Array(8).fill(5) }),
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
  [
    'sync summary',
    decodeSyncMessage,
    encodeSyncMessage({
      t: 1,
      items: [summaryItemOf(signed)],
      departures: [GracefulDeparture.create(b, signed.entry.network, signed.entry.version, T0)],
    }),
  ],
  [
    'sync delta',
    decodeSyncMessage,
    encodeSyncMessage({
      t: 2,
      entries: [signedOf(b)],
      want: [summaryKeyOf(a.peerId)],
      departures: [GracefulDeparture.create(a, signed.entry.network, signed.entry.version, T0)],
    }),
  ],
  ['sync push', decodeSyncMessage, encodeSyncMessage({ t: 3, entries: [signed] })],
  ['ping', decodePingMessage, encodePingMessage({ t: 1, entry: signed })],
  [
    'address',
    (x) => decodeAddressData(a.peerId, x),
    encodeAddressData({ directAddresses: ['1.2.3.4:5'], relayUrl: 'https://r/' }),
  ],
];

const cbor = cborCodec<unknown>();
const isTyped = (error: unknown) => error instanceof MosaikError && typeof error.code === 'string';

for (const [name, decode, valid] of decoders) {
  fuzzDecoder(`discovery ${name}`, { decode, samples: [valid], isTyped, encode: (v) => cbor.encode(v) });
}
