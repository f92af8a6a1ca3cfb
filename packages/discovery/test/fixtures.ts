/** Shared test fixtures: deterministic keys and entries. */
import { id, type NetworkId, SecretKey } from '@mosaik/id';
import { PeerEntry } from '../src/entry/entry.js';
import { SignedPeerEntry } from '../src/entry/signed.js';

export const NET: NetworkId = id('discovery-test-net');
export const OTHER_NET: NetworkId = id('discovery-other-net');
export const T0 = 1_700_000_000_000;

export function key(n: number): SecretKey {
  const seed = new Uint8Array(32);
  seed[0] = n;
  seed[31] = 0x5a;
  return SecretKey.fromSeed(seed);
}

export function entryOf(
  secret: SecretKey,
  opts: { nowMs?: number; network?: NetworkId; tags?: string[] } = {},
): PeerEntry {
  return PeerEntry.create({
    network: opts.network ?? NET,
    address: { peerId: secret.peerId, directAddresses: ['127.0.0.1:4000'] },
    nowMs: opts.nowMs ?? T0,
    ...(opts.tags ? { tags: opts.tags.map((t) => id(t)) } : {}),
  });
}

export function signedOf(secret: SecretKey, opts: Parameters<typeof entryOf>[1] = {}): SignedPeerEntry {
  return SignedPeerEntry.sign(entryOf(secret, opts), secret);
}
