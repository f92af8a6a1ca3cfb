/**
 * The bond handshake on `/mosaik/groups/1` (each side proves it knows the group secret
 * with a nonce-bound MAC, see `proof.ts`, so a recorded handshake cannot be replayed):
 *
 * ```
 * initiator                          acceptor
 *   Hello {network, group, nonceI} →
 *                                    ← Challenge {nonceA, proof(acceptor)}   (or close: GroupNotFound,
 *   Proof {proof(initiator)}       →                                          UnknownPeer, NotAllowed, …)
 *                                    ← Welcome {bonded peers}                (or close InvalidProof)
 * ```
 *
 * The acceptor proves first, so an initiator without the key learns nothing it could reuse: a
 * proof names its prover and verifier and covers both fresh nonces.
 */
import { DecodeError, MosaikError, randomBytes } from '@mosaik/id';
import { CloseCode, LinkClosedError } from '@mosaik/transport';
import type { BondLink } from './link.js';
import { decodeHandshake, encodeWire, type Handshake } from './wire.js';

/** A handshake step failed; the link is closed with `closeCode`. Code `'handshake_failed'`. */
export class HandshakeFailedError extends MosaikError<'handshake_failed'> {
  constructor(
    /** The close code of the link, when one is known. */
    readonly closeCode: number | undefined,
    message: string,
  ) {
    super('handshake_failed', message);
  }
}

/** A fresh 32-byte nonce. */
export function nonce(): Uint8Array {
  return randomBytes(32);
}

/**
 * Receives one handshake frame within `ms`. On timeout the link is closed with `Timeout`, on an
 * undecodable frame with `InvalidHandshake`; a link closed by the peer reports its code.
 */
export async function recvHandshake(link: BondLink, ms: number): Promise<Handshake> {
  let timer: NodeJS.Timeout | undefined;
  const receiving = link.recvRaw();
  receiving.catch(() => {}); // observed below, or abandoned after a timeout
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  let payload: Uint8Array | 'timeout';
  try {
    payload = await Promise.race([receiving, timeout]);
  } catch (error) {
    if (error instanceof LinkClosedError)
      throw new HandshakeFailedError(error.info.code, `link closed: ${error.info.reason}`);
    throw new HandshakeFailedError(undefined, String(error));
  } finally {
    clearTimeout(timer);
  }
  if (payload === 'timeout') {
    await link.close(CloseCode.Timeout);
    throw new HandshakeFailedError(CloseCode.Timeout, 'handshake timed out');
  }
  try {
    return decodeHandshake(payload);
  } catch (error) {
    if (!(error instanceof DecodeError)) throw error;
    await link.close(CloseCode.InvalidHandshake);
    throw new HandshakeFailedError(CloseCode.InvalidHandshake, error.message);
  }
}

/** Sends one handshake frame. */
export async function sendHandshake(link: BondLink, message: Handshake): Promise<void> {
  try {
    await link.sendRaw(encodeWire(message));
  } catch (error) {
    if (error instanceof LinkClosedError)
      throw new HandshakeFailedError(error.info.code, `link closed: ${error.info.reason}`);
    throw error;
  }
}

/** Closes the link with `code` and throws. */
export async function reject(link: BondLink, code: CloseCode, message: string): Promise<never> {
  await link.close(code);
  throw new HandshakeFailedError(code, message);
}
