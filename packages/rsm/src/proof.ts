/**
 * The bond proof: each side shows it knows the group secret without sending it. iroh-js cannot export TLS keying material, so each side sends a
 * fresh 32-byte nonce and proves knowledge of the group secret with a keyed blake3 MAC over
 * `groupId ‖ nonceInitiator ‖ nonceAcceptor ‖ proverPeerId ‖ verifierPeerId`. QUIC already
 * authenticates both peer ids, so a proof is bound to this connection and cannot be replayed;
 * the secret never travels.
 */
import { blake3Keyed, concatBytes, constantTimeEqual, type GroupId, type PeerId } from '@mosaik/id';
import type { GroupKey } from './key.js';

/** The nonces of one handshake. */
export interface Nonces {
  readonly initiator: Uint8Array;
  readonly acceptor: Uint8Array;
}

/** The proof `prover` sends to `verifier`. */
export function bondProof(
  key: GroupKey,
  group: GroupId,
  nonces: Nonces,
  prover: PeerId,
  verifier: PeerId,
): Uint8Array {
  return blake3Keyed(
    key.secret().bytes,
    concatBytes(group.bytes, nonces.initiator, nonces.acceptor, prover.bytes, verifier.bytes),
  );
}

/** Checks a received proof in constant time. */
export function verifyBondProof(
  proof: Uint8Array,
  key: GroupKey,
  group: GroupId,
  nonces: Nonces,
  prover: PeerId,
  verifier: PeerId,
): boolean {
  return constantTimeEqual(proof, bondProof(key, group, nonces, prover, verifier));
}
