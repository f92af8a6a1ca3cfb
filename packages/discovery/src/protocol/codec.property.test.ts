import { cborCodec, id, MosaikError } from '@mosaik/id';
import { describe, expect, it } from 'vitest';
import { key, signedOf, T0 } from '../../test/fixtures.js';
import { GracefulDeparture } from '../entry/departure.js';
import { MessageType } from '../gossip/types.js';
import {
  AnnouncementType,
  decodeAnnounceFrame,
  decodeAnnouncement,
  encodeAnnounceFrame,
  encodeAnnouncement,
  entryAnnouncement,
  HELLO,
} from './announce.js';
import { decodeSyncMessage, encodeSyncMessage } from './sync.js';

const a = key(1);
const b = key(2);
const signed = signedOf(a, { tags: ['x', 'y'] });
const cbor = cborCodec<unknown>();

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
