/**
 * The DHT bootstrap chain: 16 deterministic slots per network.
 * Slot 0 is the network id itself; slot i+1 = blake3(slot i ‖ slot i). Each slot's id bytes are
 * an ed25519 seed, so anyone who knows the network id can derive, read and write every slot.
 */
import { type Digest, type NetworkId, type PeerId, SecretKey, toZBase32 } from '@mosaik/id';

/** Number of slots in a network's chain (`CHAIN_DEPTH`). */
export const CHAIN_DEPTH = 16;

/** One slot of the chain: its index, id, signing key and the key's public half. */
export interface Slot {
  /** 0-based position in the chain. */
  readonly index: number;
  /** The slot id (slot 0 = the network id). */
  readonly id: Digest;
  /** The key that signs the slot's record (seed = the slot id bytes). */
  readonly key: SecretKey;
  /** The slot's public key; the BEP44 target is SHA-1 of its bytes. */
  readonly publicKey: PeerId;
  /** z-base-32 of the public key: the origin of the names in the slot's DNS packet. */
  readonly name: string;
}

/** The `depth` slot ids of `network`'s chain, slot 0 first. */
export function slotIds(network: NetworkId, depth: number = CHAIN_DEPTH): Digest[] {
  const ids: Digest[] = [];
  let current = network;
  for (let i = 0; i < depth; i++) {
    ids.push(current);
    // The chain hashes the id concatenated with itself, not the id alone.
    current = current.derive(current);
  }
  return ids;
}

/** The `depth` slots of `network`'s chain with their keys. */
export function slotChain(network: NetworkId, depth: number = CHAIN_DEPTH): Slot[] {
  return slotIds(network, depth).map((id, index) => {
    const key = SecretKey.fromDigest(id);
    return { index, id, key, publicKey: key.peerId, name: toZBase32(key.peerId.bytes) };
  });
}
