/** Errors of the `Network` facade. Compare by `code`. */
import { MosaikError } from '@mosaik/id';

/**
 * `Network.create` was asked to wait for a relay (`waitForRelay: true`) and none answered in
 * time: no internet access, a firewall, or a wrong relay URL. Code `'relay_unreachable'`.
 */
export class RelayUnreachableError extends MosaikError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('relay_unreachable', message, options);
  }
}
