import { Digest, encodeCanonical, id, MosaikError } from '@mosaik/id';
import { Ticket } from '@mosaik/tickets';
import { describe, expect, it } from 'vitest';
import { entryOf, key, NET, signedOf, T0 } from '../../test/fixtures.js';
import {
  EntryDecodeError,
  InvalidSecretKeyError,
  InvalidSignatureError,
  PeerIdChangedError,
} from '../errors.js';
import { decodePeerEntry } from './codec.js';
import type { PeerEntry } from './entry.js';
import { SignedPeerEntry, verifiedCacheSize } from './signed.js';
import { compareVersions, incrementVersion } from './version.js';

const a = key(1);
const b = key(2);

describe('PeerEntry versions', () => {
  it('increment sets update = max(update, now) + 1 and keeps start', () => {
    expect(incrementVersion({ startMs: 10, updateMs: 20 }, 15)).toEqual({ startMs: 10, updateMs: 21 });
    expect(incrementVersion({ startMs: 10, updateMs: 20 }, 100)).toEqual({ startMs: 10, updateMs: 101 });
    expect(incrementVersion({ startMs: 1, updateMs: Number.MAX_SAFE_INTEGER }, 0).updateMs).toBe(
      Number.MAX_SAFE_INTEGER,
    );
  });

  it('orders lexicographically by (start, update): a restart always wins', () => {
    expect(compareVersions({ startMs: 2, updateMs: 0 }, { startMs: 1, updateMs: 999 })).toBeGreaterThan(0);
    expect(compareVersions({ startMs: 1, updateMs: 5 }, { startMs: 1, updateMs: 6 })).toBeLessThan(0);
    expect(compareVersions({ startMs: 1, updateMs: 5 }, { startMs: 1, updateMs: 5 })).toBe(0);
  });

  it('a fresh entry starts at (now, now); initial tags bump it once', () => {
    expect(entryOf(a).version).toEqual({ startMs: T0, updateMs: T0 });
    expect(entryOf(a, { tags: ['x'] }).version).toEqual({ startMs: T0, updateMs: T0 + 1 });
  });

  it('strictly increases on addTags, removeTags, addStreams, removeStreams, updateAddress', () => {
    const e0 = entryOf(a);
    const steps: [string, (e: PeerEntry) => PeerEntry][] = [
      ['addTags', (e) => e.addTags([id('t')], T0)],
      ['removeTags', (e) => e.removeTags([id('t')], T0)],
      ['addStreams', (e) => e.addStreams([id('s')], T0)],
      ['removeStreams', (e) => e.removeStreams([id('s')], T0)],
      ['addGroups', (e) => e.addGroups([id('g')], T0)],
      ['removeGroups', (e) => e.removeGroups([id('g')], T0)],
      ['updateAddress', (e) => e.updateAddress({ peerId: a.peerId, directAddresses: ['10.0.0.1:1'] }, T0)],
    ];
    let prev = e0;
    for (const [name, step] of steps) {
      const next = step(prev);
      expect(next.isNewerThan(prev), name).toBe(true);
      prev = next;
    }
    expect(prev.isNewerThan(e0)).toBe(true);
    expect(prev.version.updateMs).toBe(T0 + steps.length);
  });

  it('does not bump when nothing changed', () => {
    const e = entryOf(a, { tags: ['x'] });
    expect(e.addTags([id('x')], T0 + 50)).toBe(e);
    expect(e.removeTags([id('y')], T0 + 50)).toBe(e);
    expect(e.removeStreams([id('s')], T0 + 50)).toBe(e);
    const t = new Ticket(id('class'), new Uint8Array([1]));
    const withTicket = e.addTicket(t, T0 + 50);
    expect(withTicket.isNewerThan(e)).toBe(true);
    expect(withTicket.addTicket(new Ticket(id('class'), new Uint8Array([1])), T0 + 60)).toBe(withTicket);
  });

  it('updateAddress always bumps, and refuses another peer’s address', () => {
    const e = entryOf(a);
    const same = e.updateAddress(e.address, T0);
    expect(same.isNewerThan(e)).toBe(true);
    expect(() => e.updateAddress({ peerId: b.peerId, directAddresses: [] })).toThrow(PeerIdChangedError);
  });

  it('isNewerThan: true for a later version, false for an older one and for itself', () => {
    const e1 = entryOf(a);
    const e2 = e1.incrementVersion(T0);
    expect(e2.isNewerThan(e1)).toBe(true);
    expect(e1.isNewerThan(e2)).toBe(false);
    expect(e1.isNewerThan(e1)).toBe(false);
  });
});

describe('PeerEntry sets and tickets', () => {
  it('keeps sets sorted by bytes and deduplicated, so encodings do not depend on insertion order', () => {
    const tags = ['c', 'a', 'b', 'a'].map((t) => id(t));
    const e1 = entryOf(a).addTags(tags, T0);
    const e2 = entryOf(a).addTags([...tags].reverse(), T0);
    expect(e1.tags).toHaveLength(3);
    const bytes = e1.tags.map((t) => Buffer.from(t.bytes).toString('hex'));
    expect(bytes).toEqual([...bytes].sort());
    expect(Buffer.from(e1.encode()).equals(e2.encode())).toBe(true);
  });

  it('keys tickets by ticket.id(); removal by id, by class, and replace by class', () => {
    const c1 = id('class-1');
    const c2 = id('class-2');
    const t1 = new Ticket(c1, new Uint8Array([1]));
    const t2 = new Ticket(c1, new Uint8Array([2]));
    const t3 = new Ticket(c2, new Uint8Array([3]));
    const e = entryOf(a).addTicket(t1, T0).addTicket(t2, T0).addTicket(t3, T0);
    expect(e.tickets).toHaveLength(3);
    expect(e.ticketsOf(c1)).toHaveLength(2);
    expect(e.removeTicket(t1.id(), T0).tickets).toHaveLength(2);
    expect(e.removeTicketsOf(c1, T0).tickets.map((t) => t.data[0])).toEqual([3]);
    const replaced = e.replaceTicket(new Ticket(c1, new Uint8Array([9])), T0);
    expect(replaced.ticketsOf(c1).map((t) => t.data[0])).toEqual([9]);
    expect(replaced.hasValidTicket(c1, (d) => d[0] === 9)).toBe(true);
    expect(e.validTickets(c1, (d) => d[0] === 2)).toHaveLength(1);
    const ids = e.tickets.map((t) => t.id().toString());
    expect(ids).toEqual([...ids].sort());
  });
});

describe('SignedPeerEntry', () => {
  it('round-trips: decode(encode(signed)) equals the original', () => {
    const s = SignedPeerEntry.sign(
      entryOf(a, { tags: ['t1', 't2'] })
        .addStreams([id('s')], T0)
        .addGroups([id('g')], T0)
        .addTicket(new Ticket(id('c'), new Uint8Array([7, 7])), T0)
        .updateAddress(
          { peerId: a.peerId, directAddresses: ['[::1]:9', '1.2.3.4:5'], relayUrl: 'https://relay.example/' },
          T0,
        ),
      a,
    );
    const back = SignedPeerEntry.decode(s.encode());
    expect(back.equals(s)).toBe(true);
    expect(back.entry.equals(s.entry)).toBe(true);
    expect(back.entry.address).toEqual(s.entry.address);
    expect(back.entry.tickets.map((t) => t.id().toString())).toEqual(
      s.entry.tickets.map((t) => t.id().toString()),
    );
    expect(back.entry.version).toEqual(s.entry.version);
  });

  it('a tampered signature fails to decode', () => {
    const s = signedOf(a);
    const sig = new Uint8Array(s.signature);
    sig[10] = (sig[10] as number) ^ 1;
    expect(() => SignedPeerEntry.verify(a.peerId, s.bytes, sig)).toThrow(InvalidSignatureError);
  });

  it('an entry modified after signing fails to decode', () => {
    const s = signedOf(a);
    const modified = entryOf(a, { tags: ['sneaky'] }).encode();
    expect(() => SignedPeerEntry.verify(a.peerId, modified, s.signature)).toThrow(InvalidSignatureError);
    const flipped = new Uint8Array(s.bytes);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
    expect(() => SignedPeerEntry.verify(a.peerId, flipped, s.signature)).toThrow(InvalidSignatureError);
  });

  it('a verified entry is reused, and its verdict never covers other bytes', () => {
    const s = signedOf(a);
    const first = SignedPeerEntry.verify(a.peerId, s.bytes, s.signature);
    // The same signer, bytes and signature again: the entry decoded the first time.
    expect(SignedPeerEntry.verify(a.peerId, new Uint8Array(s.bytes), new Uint8Array(s.signature))).toBe(
      first,
    );
    // The cached signature with other bytes is checked again, and fails.
    const flipped = new Uint8Array(s.bytes);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
    expect(() => SignedPeerEntry.verify(a.peerId, flipped, s.signature)).toThrow(InvalidSignatureError);
    // ...and under another signer it does not verify either.
    expect(() => SignedPeerEntry.verify(b.peerId, s.bytes, s.signature)).toThrow(InvalidSignatureError);
  });

  it('caches a few verified entries per signer, not every version it announced', () => {
    const before = verifiedCacheSize();
    const signers = [key(11), key(12), key(13)];
    for (let version = 0; version < 50; version++)
      for (const signer of signers) {
        const s = signedOf(signer, { tags: [`v${version}`] });
        SignedPeerEntry.verify(signer.peerId, s.bytes, s.signature);
      }
    expect(verifiedCacheSize()).toBeLessThanOrEqual(before + signers.length);
    // The latest version is the one reused.
    const latest = signedOf(signers[0]!, { tags: ['v49'] });
    const again = SignedPeerEntry.verify(signers[0]!.peerId, latest.bytes, latest.signature);
    expect(SignedPeerEntry.verify(signers[0]!.peerId, latest.bytes, latest.signature)).toBe(again);
  });

  it('two versions of one signer that travel at once are both reused', () => {
    const signer = key(14);
    const older = signedOf(signer, { tags: ['old'] });
    const newer = signedOf(signer, { tags: ['new'] });
    const first = SignedPeerEntry.verify(signer.peerId, older.bytes, older.signature);
    const second = SignedPeerEntry.verify(signer.peerId, newer.bytes, newer.signature);
    // Alternating copies (a sync with the old version, gossip with the new one) hit the cache.
    expect(SignedPeerEntry.verify(signer.peerId, older.bytes, older.signature)).toBe(first);
    expect(SignedPeerEntry.verify(signer.peerId, newer.bytes, newer.signature)).toBe(second);
  });

  it('only the owner can sign its entry', () => {
    expect(() => SignedPeerEntry.sign(entryOf(a), b)).toThrow(InvalidSecretKeyError);
  });

  it('an entry signed by another key is refused even when that signature is valid', () => {
    const bytes = entryOf(a).encode();
    // b signs a's entry bytes with its own key and presents itself as the signer.
    const forged = SignedPeerEntry.fromWire.bind(null, [
      b.peerId.bytes,
      bytes,
      b.sign(Digest.hash(bytes).bytes),
    ]);
    expect(forged).toThrow(EntryDecodeError);
    // ...or claims to be a: the signature does not verify under a's key.
    expect(() => SignedPeerEntry.fromWire([a.peerId.bytes, bytes, b.sign(Digest.hash(bytes).bytes)])).toThrow(
      InvalidSignatureError,
    );
  });

  it('rejects a non-canonical encoding (unsorted set)', () => {
    const wire = entryOf(a)
      .addTags([id('x'), id('y')], T0)
      .toWire();
    (wire[4] as Uint8Array[]).reverse();
    expect(() => decodePeerEntry(encodeCanonical(wire))).toThrow(/non-canonical/);
  });

  it('all decode errors are typed MosaikErrors with stable codes', () => {
    try {
      SignedPeerEntry.decode(new Uint8Array([0xff, 0x00]));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MosaikError);
      expect((err as MosaikError).code).toBe('discovery_decode');
    }
  });

  it('keeps the network id inside the signed bytes', () => {
    expect(SignedPeerEntry.decode(signedOf(a).encode()).entry.network.equals(NET)).toBe(true);
  });
});
