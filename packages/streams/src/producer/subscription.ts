/**
 * One accepted consumer on the producer side: a bounded queue of framed datums and an independent
 * writer, so a slow consumer never blocks the fan-out or other consumers.
 *
 * The binding converts every written byte on the JS thread and each write is a native call with a
 * promise, so per datum a subscriber only costs a copy: frames are appended to a pending buffer and
 * the whole buffer goes out as one write whenever the previous write has completed. Two buffers
 * alternate (one being written, one filling), so the steady state allocates nothing.
 */
import type { Link } from '@mosaik/transport';
import type { ChannelInfo } from '../status/channel.js';
import { FRAMED_DATUM_OVERHEAD } from '../wire.js';

/** Initial size of each pending buffer; they grow by doubling when a burst needs more. */
const INITIAL_BUFFER_BYTES = 16 * 1024;

/**
 * Queued bytes beyond which a subscriber counts as under pressure regardless of its frame count:
 * converting this much for the binding takes a millisecond or two, so `send` lets the writers
 * catch up before queueing more and latency stays bounded when the CPU is short.
 */
export const PRESSURE_BYTES = 16 * 1024;

/**
 * A subscriber whose write has not completed for this long is stalled (flow control, a dead
 * peer): it no longer holds `send` back, so its queue fills and `TooSlow` applies as usual.
 */
export const STALL_MS = 100;

/** A pending buffer grown past this is replaced by a fresh small one once written. */
const SHRINK_ABOVE_BYTES = 1024 * 1024;

export class Subscription {
  /** The buffer frames are appended to. */
  #filling: Uint8Array = new Uint8Array(INITIAL_BUFFER_BYTES);
  /** The buffer being written (or idle); swapped with {@link #filling} on each flush. */
  #spare: Uint8Array = new Uint8Array(INITIAL_BUFFER_BYTES);
  #fillingBytes = 0;
  #fillingFrames = 0;
  #fillingPayload = 0;
  #inFlightFrames = 0;
  #inFlightPayload = 0;
  #writing = false;
  /** When the current write started or the last one completed (performance.now()). */
  #progressAt = 0;
  #flushQueued = false;
  #started = false;
  #ended = false;
  #settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  /** Datums this subscriber missed because its queue was full. */
  dropped = 0;

  constructor(
    readonly key: string,
    readonly link: Link<unknown>,
    readonly channel: ChannelInfo,
    readonly capacity: number,
    /** Called with the number of queued datums that will never be written (link failed, ended). */
    private readonly onLost: (datums: number) => void,
    /** Called after each completed write. */
    private readonly onWritten: () => void = () => {},
  ) {}

  /** Queue use over capacity (frames, or bytes against {@link PRESSURE_BYTES}), 0…1 or more. */
  get fill(): number {
    const frames = (this.#fillingFrames + this.#inFlightFrames) / this.capacity;
    const bytes = this.#fillingBytes / (2 * PRESSURE_BYTES);
    return Math.max(frames, bytes);
  }

  /** A write has been under way for more than {@link STALL_MS}. */
  stalled(now: number): boolean {
    return this.#writing && now - this.#progressAt > STALL_MS;
  }

  /** Frames queued or being written. */
  get depth(): number {
    return this.#fillingFrames + this.#inFlightFrames;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Non-blocking enqueue of a framed datum (see `encodeFramedDatum`): copies it into the pending
   * buffer. `false` when the queue is full or the subscription ended. `frame` is not retained.
   */
  push(frame: Uint8Array): boolean {
    if (this.#ended || this.#fillingFrames + this.#inFlightFrames >= this.capacity) return false;
    const end = this.#fillingBytes + frame.length;
    if (end > this.#filling.length) this.#filling = grow(this.#filling, this.#fillingBytes, end);
    this.#filling.set(frame, this.#fillingBytes);
    this.#fillingBytes = end;
    this.#fillingFrames++;
    this.#fillingPayload += frame.length - FRAMED_DATUM_OVERHEAD;
    if (this.#started && !this.#writing && !this.#flushQueued) {
      // Once per idle → busy edge: everything pushed in this tick goes out in the same write.
      this.#flushQueued = true;
      queueMicrotask(() => {
        this.#flushQueued = false;
        this.#flush();
      });
    }
    return true;
  }

  /**
   * Writes `start` (the StartStream reply), then the queue as it fills. Resolves when the
   * subscription ends, rejects when a write fails.
   */
  async run(start: Uint8Array): Promise<void> {
    const done = new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject };
    });
    await this.link.sendRaw(start);
    this.channel.stats.connected();
    this.channel.setState('connected');
    this.#started = true;
    this.#flush();
    return done;
  }

  #flush(): void {
    if (this.#writing || this.#ended || this.#fillingFrames === 0) return;
    const bytes = this.#filling.subarray(0, this.#fillingBytes);
    this.#inFlightFrames = this.#fillingFrames;
    this.#inFlightPayload = this.#fillingPayload;
    // The written buffer stays untouched until its write settles: pushes go to the other one.
    [this.#filling, this.#spare] = [this.#spare, this.#filling];
    this.#fillingBytes = 0;
    this.#fillingFrames = 0;
    this.#fillingPayload = 0;
    this.#writing = true;
    this.#progressAt = performance.now();
    this.link.sendFramed(bytes).then(
      () => {
        this.#writing = false;
        this.#progressAt = performance.now();
        const [datums, payload] = [this.#inFlightFrames, this.#inFlightPayload];
        this.#inFlightFrames = 0;
        this.#inFlightPayload = 0;
        this.channel.stats.recordMany(datums, payload);
        if (this.#spare.length > SHRINK_ABOVE_BYTES) this.#spare = new Uint8Array(INITIAL_BUFFER_BYTES);
        this.#flush();
        this.onWritten();
      },
      (error: unknown) => {
        this.#writing = false;
        const lost = this.#inFlightFrames;
        this.#inFlightFrames = 0;
        this.#inFlightPayload = 0;
        if (lost > 0) this.onLost(lost);
        this.#stop();
        this.#settle?.reject(error);
      },
    );
  }

  /**
   * Ends the subscription after handing what is still queued to the link (a copy: a write may be
   * in flight), for a graceful close that lets the link drain before closing.
   */
  finish(): void {
    if (this.#ended) return;
    if (this.#started && this.#fillingFrames > 0) {
      const [datums, payload] = [this.#fillingFrames, this.#fillingPayload];
      this.#fillingFrames = 0;
      this.link.sendFramed(this.#filling.slice(0, this.#fillingBytes)).then(
        () => this.channel.stats.recordMany(datums, payload),
        () => this.onLost(datums),
      );
    }
    this.end();
  }

  /** Stops the writer (the link is closed by the caller); datums still queued count as lost. */
  end(): void {
    if (this.#ended) return;
    this.#stop();
    this.#settle?.resolve();
  }

  #stop(): void {
    if (this.#ended) return;
    this.#ended = true;
    const lost = this.#fillingFrames;
    this.#fillingFrames = 0;
    this.#fillingBytes = 0;
    this.#fillingPayload = 0;
    if (lost > 0) this.onLost(lost);
  }
}

/** A buffer of at least `needed` bytes holding the first `used` bytes of `buffer`. */
function grow(buffer: Uint8Array, used: number, needed: number): Uint8Array {
  let size = buffer.length * 2;
  while (size < needed) size *= 2;
  const bigger = new Uint8Array(size);
  bigger.set(buffer.subarray(0, used));
  return bigger;
}
