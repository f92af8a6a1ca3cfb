/**
 * The replicated budget: a deterministic state machine holding one token bucket per user.
 *
 * `strict` mode takes one token per request through the log; `lease` mode lends chunks of
 * tokens to gateways, which spend them locally. Either way, time comes from the commands: each
 * carries the submitting gateway's clock, and the machine clamps it so its own clock never runs
 * backwards. `apply` never reads a clock or randomness, so every replica computes the same state.
 */
import {
  type ApplyContext,
  compareBytes,
  Digest,
  decodeCbor,
  encodeCanonical,
  encodeCbor,
  type StateMachine,
  utf8,
} from 'mosaik';
import {
  type Bucket,
  type BucketConfig,
  capacityUnits,
  checkBucketConfig,
  fullBucket,
  msUntil,
  refill,
  take,
  UNITS_PER_TOKEN,
  wholeTokens,
} from './bucket.js';

/** Configuration every member must share (it is part of the group id). */
export interface BudgetConfig extends BucketConfig {
  /** How long a lease may be spent, from the moment its command is applied. */
  readonly leaseTtlMs: number;
}

/** Commands of the budget machine. `at` is the submitting gateway's clock (ms since the epoch). */
export type BudgetCommand =
  /** Take one token for `key` (strict mode). `o` tags the submitting gateway for its receipt. */
  | { readonly t: 'take'; readonly key: string; readonly at: number; readonly o: string }
  /**
   * Lend up to `n` tokens of `key` to the submitting gateway (lease mode), after ending its
   * previous lease `end.id` of that key with `end.n` tokens unspent.
   */
  | {
      readonly t: 'lease';
      readonly key: string;
      readonly n: number;
      readonly at: number;
      readonly o: string;
      readonly end?: { readonly id: number; readonly n: number };
    }
  /** Give back `n` unspent tokens of lease `id`; the lease ends. */
  | {
      readonly t: 'return';
      readonly key: string;
      readonly id: number;
      readonly n: number;
      readonly at: number;
    }
  /** Forget buckets that are full and lend nothing: they behave exactly like absent ones. */
  | { readonly t: 'gc'; readonly at: number };

/** What one `take` or `lease` command did, kept for the gateway that submitted it. */
export type Receipt =
  | { readonly t: 'granted'; readonly remaining: number; readonly resetMs: number }
  | { readonly t: 'denied'; readonly retryAfterMs: number; readonly resetMs: number }
  | {
      readonly t: 'leased';
      /** The lease id: the log index of the lease command. */
      readonly id: number;
      /** Tokens lent (at least 1). */
      readonly n: number;
      /** Whole tokens left in the shared bucket. */
      readonly remaining: number;
      readonly resetMs: number;
    };

/** Queries: one bucket's state, or how many buckets exist. */
export type BudgetQuery = { readonly t: 'peek'; readonly key: string } | { readonly t: 'size' };

/** A bucket as seen by `peek`: whole tokens available and tokens lent out. */
export interface BucketView {
  readonly tokens: number;
  readonly lent: number;
}

interface Lease {
  readonly id: number;
  readonly units: number;
  readonly expiresAt: number;
}

interface Entry {
  bucket: Bucket;
  leases: Lease[];
}

/** Receipts kept for commands that failed before their gateway read them. */
const MAX_RECEIPTS = 10_000;

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

function compareKeys(a: string, b: string): number {
  return compareBytes(utf8(a), utf8(b));
}

/**
 * One token bucket per key, replicated by a group. See the module comment for the time rule.
 *
 * @example
 * ```ts
 * const machine = new BudgetMachine({ rpm: 60, burst: 10, leaseTtlMs: 2000 }, 'gw-1');
 * const group = net.groups.withKey(secret).withStateMachine(machine).join();
 * const index = await group.execute({ t: 'take', key: 'alice', at: Date.now(), o: 'gw-1' });
 * machine.receipt(index); // { t: 'granted', remaining: 9, resetMs: 1000 }
 * ```
 */
export class BudgetMachine implements StateMachine<BudgetCommand, BudgetQuery, BucketView | number | null> {
  readonly signature: Digest;
  readonly #config: BudgetConfig;
  readonly #origin: string;
  readonly #entries = new Map<string, Entry>();
  readonly #receipts = new Map<number, Receipt>();
  /** The machine's clock: the largest command time applied so far. */
  #clock = 0;

  /**
   * @param config - rate, capacity and lease lifetime (part of the signature)
   * @param origin - this gateway's tag: receipts are kept only for commands carrying it
   */
  constructor(config: BudgetConfig, origin: string) {
    checkBucketConfig(config);
    if (!Number.isSafeInteger(config.leaseTtlMs) || config.leaseTtlMs <= 0)
      throw new RangeError(`leaseTtlMs must be a positive integer, got ${config.leaseTtlMs}`);
    this.#config = config;
    this.#origin = origin;
    this.signature = Digest.hash(
      encodeCanonical(['mosaik.example.rate-limiter.budget/1', config.rpm, config.burst, config.leaseTtlMs]),
    );
  }

  /** The machine's clock (ms): the latest command time applied. */
  get clock(): number {
    return this.#clock;
  }

  /** The receipt of this gateway's command at log `index`, removed as it is read. */
  receipt(index: number): Receipt | undefined {
    const r = this.#receipts.get(index);
    this.#receipts.delete(index);
    return r;
  }

  apply(command: BudgetCommand, ctx: ApplyContext): void {
    // Commands come from the log, written by members holding the group key; still, a malformed
    // one is skipped the same way on every replica rather than thrown.
    if (typeof command !== 'object' || command === null) return;
    const at = isFiniteNumber(command.at) ? command.at : this.#clock;
    const now = Math.max(this.#clock, at);
    this.#clock = now;
    switch (command.t) {
      case 'take':
        if (typeof command.key === 'string') this.#take(command.key, now, ctx.index, command.o);
        return;
      case 'lease':
        if (typeof command.key !== 'string' || !isCount(command.n) || command.n === 0) return;
        if (
          typeof command.end === 'object' &&
          command.end !== null &&
          isCount(command.end.id) &&
          isCount(command.end.n)
        )
          this.#return(command.key, command.end.id, command.end.n, now);
        this.#lease(command.key, command.n, now, ctx.index, command.o);
        return;
      case 'return':
        if (typeof command.key === 'string' && isCount(command.id) && isCount(command.n))
          this.#return(command.key, command.id, command.n, now);
        return;
      case 'gc':
        this.#gc(now);
        return;
    }
  }

  query(query: BudgetQuery): BucketView | number | null {
    if (query.t === 'size') return this.#entries.size;
    const entry = this.#entries.get(query.key);
    if (entry === undefined) return { tokens: this.#config.burst, lent: 0 };
    const at = this.#settle(entry, this.#clock);
    return { tokens: wholeTokens(at.bucket), lent: Math.ceil(lentUnits(at.leases) / UNITS_PER_TOKEN) };
  }

  snapshot(): Uint8Array {
    const keys = [...this.#entries.keys()].sort(compareKeys);
    const entries = keys.map((key) => {
      const e = this.#entries.get(key)!;
      return [key, e.bucket.units, e.bucket.updatedMs, e.leases.map((l) => [l.id, l.units, l.expiresAt])];
    });
    return encodeCbor([1, this.#clock, entries]);
  }

  restore(snapshot: Uint8Array): void {
    const [, clock, entries] = decodeCbor(snapshot) as [
      number,
      number,
      [string, number, number, [number, number, number][]][],
    ];
    this.#entries.clear();
    this.#receipts.clear();
    this.#clock = clock;
    for (const [key, units, updatedMs, leases] of entries) {
      this.#entries.set(key, {
        bucket: { units, updatedMs },
        leases: leases.map(([id, lentUnits, expiresAt]) => ({ id, units: lentUnits, expiresAt })),
      });
    }
  }

  /** The entry of `key` at `now`: expired leases dropped (their tokens are spent), then refilled. */
  #settle(entry: Entry, now: number): Entry {
    const leases = entry.leases.filter((l) => l.expiresAt > now);
    const cap = capacityUnits(this.#config) - lentUnits(leases);
    return { bucket: refill(entry.bucket, now, this.#config, cap), leases };
  }

  #entry(key: string, now: number): Entry {
    const e = this.#entries.get(key);
    return e === undefined ? { bucket: fullBucket(this.#config, now), leases: [] } : this.#settle(e, now);
  }

  #take(key: string, now: number, index: number, origin: unknown): void {
    const entry = this.#entry(key, now);
    const cap = capacityUnits(this.#config) - lentUnits(entry.leases);
    const r = take(entry.bucket, 1, now, this.#config, cap);
    this.#entries.set(key, { bucket: r.bucket, leases: entry.leases });
    this.#keep(
      origin,
      index,
      r.granted
        ? { t: 'granted', remaining: r.remaining, resetMs: r.resetMs }
        : { t: 'denied', retryAfterMs: r.retryAfterMs, resetMs: r.resetMs },
    );
  }

  #lease(key: string, n: number, now: number, index: number, origin: unknown): void {
    const entry = this.#entry(key, now);
    const lent = Math.min(n, wholeTokens(entry.bucket));
    if (lent === 0) {
      this.#entries.set(key, entry);
      this.#keep(origin, index, {
        t: 'denied',
        retryAfterMs: Math.max(1, msUntil(entry.bucket, UNITS_PER_TOKEN, this.#config)),
        resetMs: msUntil(entry.bucket, capacityUnits(this.#config), this.#config),
      });
      return;
    }
    const units = lent * UNITS_PER_TOKEN;
    const bucket = { units: entry.bucket.units - units, updatedMs: entry.bucket.updatedMs };
    const leases = [...entry.leases, { id: index, units, expiresAt: now + this.#config.leaseTtlMs }];
    this.#entries.set(key, { bucket, leases });
    this.#keep(origin, index, {
      t: 'leased',
      id: index,
      n: lent,
      remaining: wholeTokens(bucket),
      resetMs: msUntil(bucket, capacityUnits(this.#config), this.#config),
    });
  }

  #return(key: string, id: number, n: number, now: number): void {
    const stored = this.#entries.get(key);
    if (stored === undefined) return;
    const entry = this.#settle(stored, now);
    const lease = entry.leases.find((l) => l.id === id);
    if (lease === undefined) {
      // Expired already: its tokens count as spent.
      this.#entries.set(key, entry);
      return;
    }
    const back = Math.min(lease.units, n * UNITS_PER_TOKEN);
    this.#entries.set(key, {
      bucket: { units: entry.bucket.units + back, updatedMs: entry.bucket.updatedMs },
      leases: entry.leases.filter((l) => l !== lease),
    });
  }

  #gc(now: number): void {
    const full = capacityUnits(this.#config);
    for (const key of [...this.#entries.keys()].sort(compareKeys)) {
      const e = this.#settle(this.#entries.get(key)!, now);
      if (e.leases.length === 0 && e.bucket.units >= full) this.#entries.delete(key);
      else this.#entries.set(key, e);
    }
  }

  #keep(origin: unknown, index: number, receipt: Receipt): void {
    if (origin !== this.#origin) return;
    this.#receipts.set(index, receipt);
    if (this.#receipts.size > MAX_RECEIPTS) {
      const oldest = this.#receipts.keys().next().value;
      if (oldest !== undefined) this.#receipts.delete(oldest);
    }
  }
}

function lentUnits(leases: readonly Lease[]): number {
  let sum = 0;
  for (const l of leases) sum += l.units;
  return sum;
}
