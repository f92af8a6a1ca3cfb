import type { UniqueId } from '@mosaik/id';
import { TicketConfigError } from './errors.js';

/**
 * An opaque, typed credential a peer advertises in its discovery entry. `class` selects the
 * scheme (and so the validator that reads it); `data` is the scheme's payload, never
 * interpreted by discovery. Ticket contents are public: validators must bind a ticket to the
 * presenting peer (a JWT `sub`, a TDX report) so a copied ticket is useless.
 */
export class Ticket {
  /** The ticket class, e.g. {@link Jwt.CLASS}. */
  readonly class: UniqueId;
  /** The scheme-specific payload. */
  readonly data: Uint8Array;

  constructor(klass: UniqueId, data: Uint8Array) {
    if (!(data instanceof Uint8Array)) throw new TicketConfigError('Ticket data must be a Uint8Array');
    this.class = klass;
    this.data = data;
  }

  /** The ticket's identity, `class.derive(data)`: adding the same ticket twice is a no-op. */
  id(): UniqueId {
    return this.class.derive(this.data);
  }

  /** Same class and same bytes. */
  equals(other: Ticket): boolean {
    return this.class.equals(other.class) && Buffer.from(this.data).equals(other.data);
  }

  /** `Ticket(<class short>, <n> B)`; the payload is not printed. */
  toString(): string {
    return `Ticket(${this.class.short()}, ${this.data.length} B)`;
  }
}
