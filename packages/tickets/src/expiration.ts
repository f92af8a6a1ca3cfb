import { TicketConfigError } from './errors.js';

/**
 * When a validated ticket stops being valid: either never, or at an instant (milliseconds since
 * the Unix epoch). Ordering puts every instant before `never`.
 *
 * An expiration at `t` is expired from `t` on (`now >= t`), so {@link Expiration.isExpired} and
 * {@link Expiration.remaining} `=== 0` always agree.
 */
export class Expiration {
  private static readonly NEVER = new Expiration(undefined);

  /** `true` for the variant that never expires. */
  readonly isNever: boolean;
  /** The instant (ms since the epoch) this expires at; `undefined` for {@link Expiration.never}. */
  readonly at: number | undefined;

  private constructor(at: number | undefined) {
    this.at = at;
    this.isNever = at === undefined;
    Object.freeze(this);
  }

  /** An expiration that never passes. */
  static never(): Expiration {
    return Expiration.NEVER;
  }

  /** Expires at `when` (a `Date` or milliseconds since the epoch). */
  static at(when: Date | number): Expiration {
    const ms = when instanceof Date ? when.getTime() : when;
    if (typeof ms !== 'number' || !Number.isFinite(ms)) {
      throw new TicketConfigError(`Expiration.at needs a finite time, got ${String(when)}`);
    }
    return new Expiration(ms);
  }

  /** Expires `ms` milliseconds after `now` (default `Date.now()`). */
  static after(ms: number, now: number = Date.now()): Expiration {
    return Expiration.at(now + ms);
  }

  /** An expiration one hour in the past; handy in tests. */
  static alreadyExpired(now: number = Date.now()): Expiration {
    return Expiration.at(now - 3_600_000);
  }

  /** The earliest of the given expirations; `never` when none is given. */
  static earliest(...expirations: Expiration[]): Expiration {
    let best = Expiration.NEVER;
    for (const e of expirations) if (e.compare(best) < 0) best = e;
    return best;
  }

  /** The latest of the given expirations; `never` wins; throws when none is given. */
  static latest(...expirations: Expiration[]): Expiration {
    const [first, ...rest] = expirations;
    if (first === undefined) throw new TicketConfigError('Expiration.latest needs at least one expiration');
    let best = first;
    for (const e of rest) if (e.compare(best) > 0) best = e;
    return best;
  }

  /** Whether the instant has been reached (`now >= at`); always `false` for `never`. */
  isExpired(now: number = Date.now()): boolean {
    return this.at !== undefined && now >= this.at;
  }

  /** Milliseconds left (0 once expired); `Infinity` for `never`. */
  remaining(now: number = Date.now()): number {
    if (this.at === undefined) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.at - now);
  }

  /** Negative if this expires before `other`, positive if after, 0 if equal. `never` is the latest. */
  compare(other: Expiration): number {
    if (this.at === undefined) return other.at === undefined ? 0 : 1;
    if (other.at === undefined) return -1;
    return this.at < other.at ? -1 : this.at > other.at ? 1 : 0;
  }

  /** Whether both expire at the same instant (or both never). */
  equals(other: Expiration): boolean {
    return this.compare(other) === 0;
  }

  /** `never` or the ISO-8601 instant. */
  toString(): string {
    return this.at === undefined ? 'never' : new Date(this.at).toISOString();
  }

  toJSON(): string {
    return this.toString();
  }
}
