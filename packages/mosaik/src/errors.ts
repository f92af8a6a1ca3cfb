/** Errors of the `Network` facade. Compare by `code`. */
import type { CollectionErrorCode } from '@mosaik/collections';
import type { DiscoveryErrorCode } from '@mosaik/discovery';
import { type IdErrorCode, MosaikError } from '@mosaik/id';
import type { RsmErrorCode } from '@mosaik/rsm';
import type { StreamsErrorCode } from '@mosaik/streams';
import type { TicketsErrorCode } from '@mosaik/tickets';
import type { TransportErrorCode } from '@mosaik/transport';

/** Every code the `Network` facade itself raises. */
export type NetworkErrorCode = 'relay_unreachable';

/**
 * Every code an error re-exported by `mosaik` can carry, for one exhaustive `switch (error.code)`
 * over whatever a node threw.
 */
export type MosaikErrorCode =
  | IdErrorCode
  | TransportErrorCode
  | TicketsErrorCode
  | DiscoveryErrorCode
  | RsmErrorCode
  | StreamsErrorCode
  | CollectionErrorCode
  | NetworkErrorCode;

/**
 * `Network.create` was asked to wait for a relay (`waitForRelay: true`) and none answered in
 * time: no internet access, a firewall, or a wrong relay URL. Code `'relay_unreachable'`.
 */
export class RelayUnreachableError extends MosaikError<'relay_unreachable'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('relay_unreachable', message, options);
  }
}
