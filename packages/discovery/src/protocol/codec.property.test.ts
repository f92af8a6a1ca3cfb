import { cborCodec, id, MosaikError } from '@mosaik/id';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { key, signedOf, T0 } from '../../test/fixtures.js';
import { GracefulDeparture } from '../entry/departure.js';
import type { SignedPeerEntry } from '../entry/signed.js';
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
import {
  decodeSyncMessage,
  decodeSyncMessageOf,
  encodeSyncMessage,
  entriesMissingFrom,
  entriesWanted,
  SUMMARY_ITEM_BYTES,
  SUMMARY_KEY_BYTES,
  summaryItemOf,
  summaryKeyOf,
  wantedFrom,
} from './sync.js';

const a = key(1);
const b = key(2);
const signed = signedOf(a, { tags: ['x', 'y'] });
const cbor = cborCodec<unknown>();

describe('announce schema', () => {
  it('round-trips every gossip message type', () => {
    const id32 = new Uint8Array(32).fill(3);
    const root8 = new Uint8Array(8).fill(4);
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
      { t: MessageType.Gossip, id: id32, content: new Uint8Array([9]), round: 4, root: root8 },
      { t: MessageType.Prune },
      { t: MessageType.Prune, root: root8 },
      { t: MessageType.Graft, id: id32, round: 1 },
      { t: MessageType.Graft, id: undefined, round: 1 },
      { t: MessageType.Graft, id: undefined, round: 1, root: root8 },
      { t: MessageType.IHave, entries: [{ id: id32, round: 2 }] },
    ] as const;
    for (const f of frames) expect(decodeAnnounceFrame(encodeAnnounceFrame(f))).toEqual(f);
  });

  it('root labels are optional keys: frames of older nodes decode, a wrong label is refused', () => {
    const id32 = new Uint8Array(32).fill(3);
    // An older node's frames have no `o`: they decode with no root (the shared tree).
    const old = cbor.encode({ t: MessageType.Gossip, id: id32, c: new Uint8Array([1]), r: 2 });
    expect(decodeAnnounceFrame(old)).toEqual({
      t: MessageType.Gossip,
      id: id32,
      content: new Uint8Array([1]),
      round: 2,
    });
    expect(decodeAnnounceFrame(cbor.encode({ t: MessageType.Prune }))).toEqual({ t: MessageType.Prune });
    // A frame with a root has only that extra key, which older decoders skip.
    const wire = cbor.decode(
      encodeAnnounceFrame({ t: MessageType.Prune, root: new Uint8Array(8).fill(1) }),
    ) as Record<string, unknown>;
    expect(Object.keys(wire).sort()).toEqual(['o', 't']);
    for (const bad of [new Uint8Array(7), new Uint8Array(32), 'x', 5]) {
      expect(() => decodeAnnounceFrame(cbor.encode({ t: MessageType.Prune, o: bad }))).toThrow(MosaikError);
      expect(() =>
        decodeAnnounceFrame(cbor.encode({ t: MessageType.Graft, id: null, r: 1, o: bad })),
      ).toThrow(MosaikError);
    }
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
    expect(decodeSyncMessageOf(encodeSyncMessage({ t: 0, entries: [good, signed] }), 0).entries).toHaveLength(
      2,
    );
  });

  it('summary, delta and push round-trip; a message of another type is refused', () => {
    const good = signedOf(b);
    const items = [summaryItemOf(good), summaryItemOf(signed)];
    const summary = decodeSyncMessageOf(encodeSyncMessage({ t: 1, items }), 1);
    expect(summary.items).toEqual(items);
    const delta = decodeSyncMessageOf(
      encodeSyncMessage({ t: 2, entries: [good], want: [summaryKeyOf(a.peerId)] }),
      2,
    );
    expect(delta.entries.map((e) => e.equals(good))).toEqual([true]);
    expect(delta.want).toEqual([summaryKeyOf(a.peerId)]);
    expect(entriesWanted([good, signed], delta.want)).toEqual([signed]);
    expect(decodeSyncMessageOf(encodeSyncMessage({ t: 3, entries: [signed] }), 3).entries).toHaveLength(1);
    expect(() => decodeSyncMessageOf(encodeSyncMessage({ t: 1, items }), 3)).toThrow(MosaikError);
    // An older node's decoder meets a type it does not know: a typed error, not a crash.
    expect(() => decodeSyncMessage(cbor.encode({ t: 9, e: [] }))).toThrow(MosaikError);
  });

  it('summary and delta carry verified departures; one forged departure rejects the message', () => {
    const gone = GracefulDeparture.create(a, signed.entry.network, signed.entry.version, T0);
    const summary = decodeSyncMessageOf(
      encodeSyncMessage({ t: 1, items: [summaryItemOf(signedOf(b))], departures: [gone] }),
      1,
    );
    expect(summary.departures?.map((d) => d.peerId.equals(a.peerId))).toEqual([true]);
    const delta = decodeSyncMessageOf(
      encodeSyncMessage({ t: 2, entries: [], want: [], departures: [gone] }),
      2,
    );
    expect(delta.departures?.[0]?.lastVersion).toEqual(signed.entry.version);
    // Left out when empty, so a quiet swarm's summaries do not grow.
    const plain = encodeSyncMessage({ t: 1, items: [], departures: [] });
    expect(plain).toEqual(encodeSyncMessage({ t: 1, items: [] }));
    expect(decodeSyncMessageOf(plain, 1).departures).toBeUndefined();
    // a's departure presented as b's.
    const forged = [b.peerId.bytes, gone.bytes, gone.signature];
    const none = new Uint8Array(0);
    expect(() => decodeSyncMessage(cbor.encode({ t: 1, s: none, d: [forged] }))).toThrow(MosaikError);
    expect(() => decodeSyncMessage(cbor.encode({ t: 2, e: [], w: none, d: 'x' }))).toThrow(MosaikError);
  });

  it('a summary packs 24 bytes an entry and round-trips every safe-integer version', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            key: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b).toString('hex')),
            version: fc.record({ startMs: fc.maxSafeInteger(), updateMs: fc.maxSafeInteger() }),
          }),
          { maxLength: 40 },
        ),
        (items) => {
          const bytes = encodeSyncMessage({ t: 1, items });
          expect(decodeSyncMessageOf(bytes, 1).items).toEqual(items);
          // The packed items plus a few bytes of CBOR framing.
          expect(bytes.length - SUMMARY_ITEM_BYTES * items.length).toBeLessThanOrEqual(12);
          const want = items.map((i) => i.key);
          expect(decodeSyncMessageOf(encodeSyncMessage({ t: 2, entries: [], want }), 2).want).toEqual(want);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('a summary or a want list that is no whole number of items is refused', () => {
    const one = new Uint8Array(SUMMARY_ITEM_BYTES);
    for (const s of [one.subarray(1), new Uint8Array(SUMMARY_ITEM_BYTES + 1), [], 'x']) {
      expect(() => decodeSyncMessage(cbor.encode({ t: 1, s }))).toThrow(MosaikError);
    }
    for (const w of [new Uint8Array(7), new Uint8Array(9), [a.peerId.bytes]]) {
      expect(() => decodeSyncMessage(cbor.encode({ t: 2, e: [], w }))).toThrow(MosaikError);
    }
    // A version past the safe integers (an i64 of 2⁶²) is refused, not rounded.
    const unsafe = new Uint8Array(SUMMARY_ITEM_BYTES);
    unsafe[SUMMARY_KEY_BYTES] = 0x40;
    expect(() => decodeSyncMessage(cbor.encode({ t: 1, s: unsafe }))).toThrow(MosaikError);
    expect(
      decodeSyncMessageOf(cbor.encode({ t: 1, s: new Uint8Array(SUMMARY_ITEM_BYTES) }), 1).items,
    ).toEqual([{ key: '0'.repeat(16), version: { startMs: 0, updateMs: 0 } }]);
  });

  it('a delta carries exactly the entries the other side lacks or holds older, and wants the rest', () => {
    // versioned[i][v]: peer i's entry at version v (1 or 2).
    const versioned = Array.from({ length: 6 }, (_, i) => [
      undefined,
      signedOf(key(10 + i), { nowMs: T0 + 1 }),
      signedOf(key(10 + i), { nowMs: T0 + 2 }),
    ]);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), {
          minLength: 6,
          maxLength: 6,
        }),
        (versions) => {
          // Peer i: versions[i] = [ours, theirs], 0 meaning "absent".
          const ours: SignedPeerEntry[] = [];
          const theirs: ReturnType<typeof summaryItemOf>[] = [];
          versions.forEach(([o, t], i) => {
            if (o > 0) ours.push(versioned[i]?.[o] as SignedPeerEntry);
            if (t > 0) theirs.push(summaryItemOf(versioned[i]?.[t] as SignedPeerEntry));
          });
          const missing = entriesMissingFrom(ours, theirs).map((s) => s.peerId.toString());
          const wanted = wantedFrom(theirs, ours, a.peerId);
          versions.forEach(([o, t], i) => {
            const peer = key(10 + i).peerId;
            expect(missing.includes(peer.toString())).toBe(o > t);
            expect(wanted.includes(summaryKeyOf(peer))).toBe(t > o);
          });
        },
      ),
      { numRuns: 40 },
    );
  });
});
