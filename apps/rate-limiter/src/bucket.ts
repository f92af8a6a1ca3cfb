/**
 * The token bucket, as pure integer arithmetic.
 *
 * Tokens are counted in units of 1/60 000 of a token, so a rate of `rpm` tokens per minute adds
 * exactly `rpm` units per millisecond: no fractions, no floating-point drift, and every replica
 * of a state machine computes the same bits.
 */
import { InvalidArgumentError } from 'mosaik';

/** Units in one token: one minute in milliseconds, so `rpm` units arrive every millisecond. */
export const UNITS_PER_TOKEN = 60_000;

/** The largest `rpm` or `burst` accepted: keeps every product far below 2^53. */
const MAX_LIMIT = 1_000_000_000;

/** Rate and capacity of a bucket. */
export interface BucketConfig {
  /** Tokens added per minute. */
  readonly rpm: number;
  /** Capacity: the most tokens a bucket holds, and so the largest burst. */
  readonly burst: number;
}

/** A bucket's state: `units` available at time `updatedMs`. */
export interface Bucket {
  readonly units: number;
  readonly updatedMs: number;
}

/** The outcome of {@link take}. */
export type TakeResult =
  | {
      readonly granted: true;
      readonly bucket: Bucket;
      /** Whole tokens left after this grant. */
      readonly remaining: number;
      /** Milliseconds until the bucket is full again. */
      readonly resetMs: number;
    }
  | {
      readonly granted: false;
      readonly bucket: Bucket;
      /** Milliseconds until `cost` tokens are available. */
      readonly retryAfterMs: number;
      /** Milliseconds until the bucket is full again. */
      readonly resetMs: number;
    };

/** Checks a config: `rpm` and `burst` positive integers up to 10^9. Throws `InvalidArgumentError`. */
export function checkBucketConfig(config: BucketConfig): BucketConfig {
  for (const [name, v] of [
    ['rpm', config.rpm],
    ['burst', config.burst],
  ] as const) {
    if (!Number.isSafeInteger(v) || v <= 0 || v > MAX_LIMIT)
      throw new InvalidArgumentError(`${name} must be an integer in 1..${MAX_LIMIT}, got ${v}`);
  }
  return config;
}

/** The units of a full bucket. */
export function capacityUnits(config: BucketConfig): number {
  return config.burst * UNITS_PER_TOKEN;
}

/** A full bucket at `atMs`. */
export function fullBucket(config: BucketConfig, atMs: number): Bucket {
  return { units: capacityUnits(config), updatedMs: atMs };
}

/**
 * The bucket at `atMs`: refilled by `rpm` units per elapsed millisecond, up to `capUnits`
 * (default: full capacity). Time never runs backwards: an `atMs` before `updatedMs` refills
 * nothing and keeps `updatedMs`.
 */
export function refill(
  bucket: Bucket,
  atMs: number,
  config: BucketConfig,
  capUnits = capacityUnits(config),
): Bucket {
  if (atMs <= bucket.updatedMs) return bucket;
  if (bucket.units >= capUnits) return { units: bucket.units, updatedMs: atMs };
  // Cap the elapsed time before multiplying, so huge gaps cannot overflow.
  const elapsed = Math.min(atMs - bucket.updatedMs, Math.ceil((capUnits - bucket.units) / config.rpm));
  return { units: Math.min(capUnits, bucket.units + elapsed * config.rpm), updatedMs: atMs };
}

/** Milliseconds until `bucket` holds `units` (0 if it already does). */
export function msUntil(bucket: Bucket, units: number, config: BucketConfig): number {
  return bucket.units >= units ? 0 : Math.ceil((units - bucket.units) / config.rpm);
}

/** Whole tokens in `bucket`. */
export function wholeTokens(bucket: Bucket): number {
  return Math.max(0, Math.floor(bucket.units / UNITS_PER_TOKEN));
}

/**
 * Refills `bucket` to `atMs`, then takes `cost` tokens if they are there. `capUnits` lowers the
 * capacity (the lease mode counts tokens lent out against it).
 */
export function take(
  bucket: Bucket,
  cost: number,
  atMs: number,
  config: BucketConfig,
  capUnits = capacityUnits(config),
): TakeResult {
  const now = refill(bucket, atMs, config, capUnits);
  const need = cost * UNITS_PER_TOKEN;
  if (now.units >= need) {
    const after = { units: now.units - need, updatedMs: now.updatedMs };
    return {
      granted: true,
      bucket: after,
      remaining: wholeTokens(after),
      resetMs: msUntil(after, capUnits, config),
    };
  }
  return {
    granted: false,
    bucket: now,
    retryAfterMs: Math.max(1, msUntil(now, need, config)),
    resetMs: msUntil(now, capUnits, config),
  };
}
