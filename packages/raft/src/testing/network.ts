import type { Prng } from '../core/prng.js';
import type { Message, NodeId } from '../types.js';

/** Fault parameters of the simulated network. */
export interface NetworkFaults {
  /** Probability that a message is dropped. */
  drop: number;
  /** Probability that a message is delivered twice. */
  duplicate: number;
  /** Delivery delay is uniform in [1, maxDelay] time units (so messages reorder). */
  maxDelay: number;
}

interface InFlight {
  readonly at: number;
  readonly seq: number;
  readonly msg: Message;
}

/**
 * A lossy, reordering, duplicating network with (possibly asymmetric) partitions, in virtual
 * time. A binary heap keeps deliveries ordered by (time, send order), so runs are reproducible.
 */
export class SimNetwork {
  faults: NetworkFaults;
  readonly #rand: Prng;
  readonly #heap: InFlight[] = [];
  readonly #blocked = new Set<string>();
  #seq = 0;
  sent = 0;
  delivered = 0;

  constructor(rand: Prng, faults: NetworkFaults) {
    this.#rand = rand;
    this.faults = faults;
  }

  get inFlight(): number {
    return this.#heap.length;
  }

  send(now: number, msg: Message): void {
    this.sent++;
    if (this.#rand() < this.faults.drop) return;
    const copies = this.#rand() < this.faults.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const at = now + 1 + Math.floor(this.#rand() * this.faults.maxDelay);
      this.#push({ at, seq: this.#seq++, msg });
    }
  }

  /** Removes and returns the next message due at or before `now`, skipping blocked links. */
  next(now: number): Message | undefined {
    while (this.#heap.length > 0 && this.#heap[0]!.at <= now) {
      const m = this.#pop().msg;
      if (this.#blocked.has(`${m.from}>${m.to}`)) continue;
      this.delivered++;
      return m;
    }
    return undefined;
  }

  block(from: NodeId, to: NodeId): void {
    this.#blocked.add(`${from}>${to}`);
  }

  /** Splits the nodes into two sides that cannot talk to each other. */
  partition(a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.block(x, y);
        this.block(y, x);
      }
    }
  }

  heal(): void {
    this.#blocked.clear();
  }

  get partitioned(): boolean {
    return this.#blocked.size > 0;
  }

  #push(item: InFlight): void {
    const h = this.#heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): InFlight {
    const h = this.#heap;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

function less(a: InFlight, b: InFlight): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
