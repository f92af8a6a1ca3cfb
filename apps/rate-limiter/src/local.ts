/** The `local` mode: one token bucket per user in this process, no coordination at all. */
import { type Bucket, type BucketConfig, checkBucketConfig, fullBucket, take } from './bucket.js';
import type { Decision, Limiter } from './limiter.js';

/** Buckets idle this long are full again (for any config up to one per minute) and dropped. */
const SWEEP_MS = 60_000;

/**
 * A plain in-process limiter: what each gateway would do alone. Several gateways in this mode
 * each allow the full rate, so it is the throughput ceiling of the benchmark, not a cluster mode.
 */
export class LocalLimiter implements Limiter {
  readonly mode = 'local' as const;
  readonly #config: BucketConfig;
  readonly #buckets = new Map<string, Bucket>();
  readonly #sweep: NodeJS.Timeout;

  constructor(
    config: BucketConfig,
    private readonly now: () => number = Date.now,
  ) {
    this.#config = checkBucketConfig(config);
    this.#sweep = setInterval(() => this.#dropFull(), SWEEP_MS).unref();
  }

  decide(key: string): Promise<Decision> {
    return Promise.resolve(this.decideNow(key));
  }

  /** The synchronous decision (the benchmark's ceiling calls it directly). */
  decideNow(key: string): Decision {
    const at = this.now();
    const r = take(this.#buckets.get(key) ?? fullBucket(this.#config, at), 1, at, this.#config);
    this.#buckets.set(key, r.bucket);
    return r.granted
      ? { kind: 'allow', remaining: r.remaining, resetMs: r.resetMs }
      : { kind: 'deny', retryAfterMs: r.retryAfterMs, resetMs: r.resetMs };
  }

  isAvailable(): boolean {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
  }

  #dropFull(): void {
    const at = this.now();
    for (const [key, bucket] of this.#buckets) {
      const r = take(bucket, 0, at, this.#config);
      if (r.resetMs === 0) this.#buckets.delete(key);
    }
  }
}
