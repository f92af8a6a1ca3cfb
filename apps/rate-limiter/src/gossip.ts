/**
 * The `gossip` mode on the network: every gateway produces its {@link HitBatch}es on one stream
 * and consumes everyone else's. No group, no leader: decisions stay local and instant, and the
 * overshoot is bounded as documented in `gossip-core.ts`.
 */
import { type Consumer, defineStream, type Network, type Producer, type StreamDef } from 'mosaik';
import type { BucketConfig } from './bucket.js';
import { GossipCore, type GossipTiming, type HitBatch } from './gossip-core.js';
import { type Decision, type Limiter, MAX_KEY_LENGTH } from './limiter.js';

function isEntry(v: unknown): v is [string, number, number, number] {
  return (
    Array.isArray(v) &&
    v.length === 4 &&
    typeof v[0] === 'string' &&
    v[0].length <= MAX_KEY_LENGTH &&
    Number.isSafeInteger(v[1]) &&
    v[1] >= 0 &&
    Number.isSafeInteger(v[2]) &&
    Number.isSafeInteger(v[3]) &&
    v[3] >= 0
  );
}

/** A Standard Schema for batches: a malformed one closes the sender's link (`ProtocolViolation`). */
export const hitBatchSchema = {
  '~standard': {
    version: 1 as const,
    vendor: 'mosaik-rate-limiter',
    validate(value: unknown) {
      const b = value as Partial<HitBatch> | null;
      if (
        typeof b === 'object' &&
        b !== null &&
        typeof b.node === 'string' &&
        Number.isSafeInteger(b.next) &&
        Array.isArray(b.entries) &&
        b.entries.every(isEntry)
      )
        return { value: b as HitBatch };
      return { issues: [{ message: 'not a hit batch' }] };
    },
  },
};

/** The batch stream of one limit configuration: gateways with other limits never mix counts. */
export function hitBatches(config: BucketConfig): StreamDef<HitBatch> {
  return defineStream<HitBatch>(`mosaik.example.rate-limiter.hits/${config.rpm}/${config.burst}`, {
    schema: hitBatchSchema,
  });
}

/** Gossip mode on `net`. */
export class GossipLimiter implements Limiter {
  readonly mode = 'gossip' as const;
  /** The local view (exposed for tests and diagnostics). */
  readonly core: GossipCore;
  readonly #producer: Producer<HitBatch>;
  readonly #consumer: Consumer<HitBatch>;
  readonly #flush: NodeJS.Timeout;
  readonly #sweep: NodeJS.Timeout;
  readonly #receiving: Promise<void>;
  readonly #now: () => number;

  constructor(net: Network, config: BucketConfig, timing: GossipTiming & { now?: () => number } = {}) {
    this.#now = timing.now ?? Date.now;
    this.core = new GossipCore(config, net.peerId.toString(), timing);
    const def = hitBatches(config);
    this.#producer = net.streams.produce(def);
    this.#consumer = net.streams.consume(def);
    this.#flush = setInterval(() => this.#publish(), timing.flushMs ?? 100);
    this.#sweep = setInterval(() => this.core.sweep(this.#now()), 10_000).unref();
    this.#receiving = this.#receive();
  }

  /** Gateways heard from recently, this one included. */
  gateways(): number {
    return this.core.gateways(this.#now());
  }

  isAvailable(): boolean {
    return true;
  }

  decide(key: string): Promise<Decision> {
    return Promise.resolve(this.core.decide(key, this.#now()));
  }

  async close(): Promise<void> {
    clearInterval(this.#flush);
    clearInterval(this.#sweep);
    await this.#consumer.close();
    await this.#producer.close();
    await this.#receiving;
  }

  async #receive(): Promise<void> {
    for await (const batch of this.#consumer) this.core.receive(batch, this.#now());
  }

  #publish(): void {
    const batch = this.core.flush(this.#now());
    try {
      this.#producer.trySend(batch);
    } catch {
      // No subscriber yet (alone, or the others are still connecting): nobody to tell.
    }
  }
}
