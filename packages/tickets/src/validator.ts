import type { PeerId, UniqueId } from '@mosaik/id';
import { InvalidTicketError } from './errors.js';
import { Expiration } from './expiration.js';
import type { Ticket } from './ticket.js';

/**
 * Reads tickets of one class and decides whether they authorize a peer.
 *
 * Implementations must be cheap and synchronous (they run on every catalog change and bond
 * event) and must throw {@link InvalidTicketError} for any bad input rather than some other error.
 */
export interface TicketValidator {
  /** The ticket class this validator reads; tickets of other classes are never offered to it. */
  readonly class: UniqueId;
  /**
   * A deterministic id of the validator type and its whole configuration. It is mixed into
   * group ids, so two nodes configured alike must compute the same signature and any
   * difference in configuration must change it.
   */
  readonly signature: UniqueId;
  /**
   * Validate `data` as presented by `peer`; returns when the ticket stops being valid.
   *
   * @throws {@link InvalidTicketError} for any ticket that does not validate (never another error).
   */
  validate(data: Uint8Array, peer: PeerId): Expiration;
}

/** Options of {@link bestExpiration} and {@link validateAll}. */
export interface ValidateOptions {
  /** The current time in ms since the epoch (default `Date.now()`). */
  readonly now?: number;
}

/**
 * Runs `validator` over every ticket of its class in `tickets` and returns the latest
 * expiration among those that pass. A result that is already expired counts as a failure, so
 * callers never arm a timer that fires immediately.
 *
 * @throws {@link InvalidTicketError} when no ticket of the class passes; the reason says why.
 */
export function bestExpiration(
  tickets: Iterable<Ticket>,
  validator: TicketValidator,
  peer: PeerId,
  options: ValidateOptions = {},
): Expiration {
  const now = options.now ?? Date.now();
  let best: Expiration | undefined;
  let seen = 0;
  let lastReason = '';
  for (const ticket of tickets) {
    if (!ticket.class.equals(validator.class)) continue;
    seen++;
    try {
      const expiration = runValidator(validator, ticket.data, peer);
      if (expiration.isExpired(now)) {
        lastReason = `expired at ${expiration.toString()}`;
        continue;
      }
      if (best === undefined || expiration.compare(best) > 0) best = expiration;
    } catch (err) {
      lastReason = (err as InvalidTicketError).reason;
    }
  }
  if (best !== undefined) return best;
  const klass = validator.class.short();
  if (seen === 0) throw new InvalidTicketError(`no ticket of class ${klass}`);
  throw new InvalidTicketError(
    seen === 1 ? lastReason : `none of ${seen} tickets of class ${klass} is valid (last: ${lastReason})`,
  );
}

/**
 * Checks `peer`'s tickets against every validator (all must pass) and returns the earliest of
 * their best expirations. An empty validator list means "no authorization required" and
 * returns {@link Expiration.never}.
 *
 * @throws {@link InvalidTicketError} naming the first validator (by position) that no ticket satisfies.
 */
export function validateAll(
  tickets: Iterable<Ticket>,
  validators: readonly TicketValidator[],
  peer: PeerId,
  options: ValidateOptions = {},
): Expiration {
  if (validators.length === 0) return Expiration.never();
  const list = Array.isArray(tickets) ? (tickets as readonly Ticket[]) : [...tickets];
  const now = options.now ?? Date.now();
  let earliest = Expiration.never();
  validators.forEach((validator, index) => {
    let expiration: Expiration;
    try {
      expiration = bestExpiration(list, validator, peer, { now });
    } catch (err) {
      const reason = (err as InvalidTicketError).reason;
      throw new InvalidTicketError(validators.length === 1 ? reason : `validator #${index}: ${reason}`, {
        cause: err,
      });
    }
    if (expiration.compare(earliest) < 0) earliest = expiration;
  });
  return earliest;
}

/**
 * Calls a validator, turning anything it throws into an {@link InvalidTicketError}: a buggy
 * third-party validator must not crash a background task, and must not authorize anyone.
 */
function runValidator(validator: TicketValidator, data: Uint8Array, peer: PeerId): Expiration {
  let result: unknown;
  try {
    result = validator.validate(data, peer);
  } catch (err) {
    if (err instanceof InvalidTicketError) throw err;
    throw new InvalidTicketError(`validator failed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  if (!(result instanceof Expiration)) throw new InvalidTicketError('validator returned no Expiration');
  return result;
}
