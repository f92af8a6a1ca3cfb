import { MosaikError } from '@mosaik/id';

/** Every code `@mosaik/tickets` raises: a rejected ticket, or an unusable validator or key configuration. */
export type TicketsErrorCode = 'invalid_ticket' | 'invalid_ticket_config';

/**
 * A ticket failed validation. Thrown by {@link TicketValidator.validate} and by the helpers
 * that combine validators. `reason` is a short human-readable explanation meant for logs; it
 * never contains secret material.
 */
export class InvalidTicketError extends MosaikError<'invalid_ticket'> {
  /** Why the ticket was rejected, e.g. `"expired"` or `"algorithm HS256 not accepted"`. */
  readonly reason: string;

  constructor(reason: string, options?: { cause?: unknown }) {
    super('invalid_ticket', `invalid ticket: ${reason}`, options);
    this.reason = reason;
  }
}

/**
 * A validator, key or builder was configured with an unusable value (a bad key encoding, an
 * HMAC secret that is too short, a negative tolerance, ...). Raised at construction time, never
 * while validating a ticket.
 */
export class TicketConfigError extends MosaikError<'invalid_ticket_config'> {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid_ticket_config', message, options);
  }
}
