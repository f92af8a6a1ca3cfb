/** Typed errors of the DHT bootstrap; each has a stable `code`. */
import { MosaikError } from '@mosaik/id';

/** Every code `@mosaik/discovery/dht` raises. */
export type DhtErrorCode = 'dht_record_too_large' | 'dht_request_failed' | 'dht_cas_conflict';

/** An address too large to fit a slot record (a DNS packet is at most 1000 bytes). Code `'dht_record_too_large'`. */
export class DhtRecordTooLargeError extends MosaikError<'dht_record_too_large'> {
  constructor(message: string) {
    super('dht_record_too_large', message);
  }
}

/**
 * A DHT request failed: no node answered, every storing node refused the item, or the client is
 * closed. Code `'dht_request_failed'`; a compare-and-swap conflict has code `'dht_cas_conflict'`.
 */
export class DhtRequestError extends MosaikError<'dht_request_failed' | 'dht_cas_conflict'> {
  constructor(
    code: 'dht_request_failed' | 'dht_cas_conflict',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
