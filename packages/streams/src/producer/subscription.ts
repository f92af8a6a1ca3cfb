/**
 * One accepted consumer on the producer side: a bounded queue of encoded frames and an
 * independent writer loop, so a slow consumer never blocks the fan-out or other consumers.
 */
import type { Link } from '@mosaik/transport';
import type { ChannelInfo } from '../status/channel.js';
import { DATUM_HEADER_BYTES } from '../wire.js';

const noop = () => {};

/** Largest coalesced write a subscription hands the link (see `#takeBatch`). */
const MAX_BATCH_BYTES = 256 * 1024;

export class Subscription {
  /** Encoded datum frames (shared with the other subscriptions: never mutated). */
  #queue: Uint8Array[] = [];
  /** Frames handed to the link whose write has not completed yet; they count against capacity. */
  #inFlight = 0;
  #wake: (() => void) | undefined;
  #ended = false;
  /** Datums this subscriber missed because its queue was full. */
  dropped = 0;

  constructor(
    readonly key: string,
    readonly link: Link<unknown>,
    readonly channel: ChannelInfo,
    readonly capacity: number,
    private readonly onWritten: (datums: number, bytes: number) => void,
  ) {}

  /** Queued plus in-flight frames over capacity, 0…1. */
  get fill(): number {
    return (this.#queue.length + this.#inFlight) / this.capacity;
  }

  /** Frames queued or being written. */
  get depth(): number {
    return this.#queue.length + this.#inFlight;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Non-blocking enqueue; `false` when the queue is full or the subscription ended. */
  push(frame: Uint8Array): boolean {
    if (this.#ended || this.#queue.length + this.#inFlight >= this.capacity) return false;
    this.#queue.push(frame);
    const wake = this.#wake;
    if (wake) {
      this.#wake = undefined;
      wake();
    }
    return true;
  }

  /**
   * Writes `start` (the StartStream reply), then drains the queue until the link fails or the
   * subscription ends. Each drain hands every queued frame to the link in one tick, so they are
   * coalesced into one native write, then waits for the last one.
   */
  async run(start: Uint8Array): Promise<void> {
    await this.link.sendRaw(start);
    this.channel.stats.connected();
    this.channel.setState('connected');
    while (!this.#ended) {
      if (this.#queue.length === 0) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        continue;
      }
      const batch = this.#takeBatch();
      this.#inFlight = batch.length;
      let last: Promise<void> = Promise.resolve();
      let bytes = 0;
      for (const frame of batch) {
        const written = this.link.sendRaw(frame);
        // Frames of one tick share one promise; only distinct ones (a failed link rejects each
        // write separately) need a handler.
        if (written !== last) {
          last.catch(noop);
          last = written;
        }
        bytes += frame.length - DATUM_HEADER_BYTES;
      }
      // Writes complete in order: the last one's outcome stands for the batch.
      try {
        await last;
      } finally {
        this.#inFlight = 0;
      }
      this.channel.stats.recordMany(batch.length, bytes);
      this.onWritten(batch.length, bytes);
    }
  }

  /**
   * Up to {@link MAX_BATCH_BYTES} of queued frames (at least one): handed to the link in one
   * tick so the transport coalesces them into few native writes, yet bounded so one
   * subscription's backlog does not monopolise the event loop.
   */
  #takeBatch(): Uint8Array[] {
    let bytes = 0;
    let n = 0;
    while (n < this.#queue.length) {
      const size = (this.#queue[n] as Uint8Array).length + 4;
      if (n > 0 && bytes + size > MAX_BATCH_BYTES) break;
      bytes += size;
      n++;
    }
    if (n === this.#queue.length) {
      const all = this.#queue;
      this.#queue = [];
      return all;
    }
    return this.#queue.splice(0, n);
  }

  /** Stops the writer loop (the link is closed by the caller). */
  end(): void {
    this.#ended = true;
    this.#queue = [];
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
