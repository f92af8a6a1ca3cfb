import { frameHeader } from './frame.js';
import { NativeScratch, type NativeSendStream, toNativeParts } from './native.js';

/**
 * Largest single native write. Converting to the binding's array form costs about
 * 60–80 ns a byte on the JS thread, so 16 KiB keeps each write near 1 ms and the
 * event loop responsive.
 */
export const WRITE_SLICE_SIZE = 16 * 1024;

/** Frames queued in the same tick: they are written together and resolve together. */
interface Batch {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  /** Cumulative byte offset at which the batch's last frame ends. */
  end: number;
}

function newBatch(): Batch {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject, end: 0 };
}

/**
 * Writes frames to a QUIC send stream, coalescing frames queued close together
 * into shared native writes and slicing large ones.
 *
 * `write` resolves once the frame's bytes (and those of the frames queued with it)
 * were handed to the stream: callers that await get backpressure, callers that
 * pipeline get batching. Frames queued in the same tick share one promise, which
 * keeps the per-message cost of small messages low.
 */
export class FrameWriter {
  readonly #stream: NativeSendStream;
  readonly #onWritten: (bytes: number) => void;
  readonly #mapError: (error: unknown) => unknown;
  readonly #scratch = new NativeScratch();
  #pieces: Uint8Array[] = [];
  #pieceOffset = 0; // bytes of #pieces[0] already written
  #enqueued = 0;
  #written = 0;
  #open: Batch | undefined; // collecting frames
  #sealed: Batch | undefined; // being written
  #flushing: Promise<void> | undefined;
  /** When the last write was handed to the stream (`performance.now()`); undefined before any. */
  #lastWrittenAt: number | undefined;
  /** Why writes fail from now on; built on first use (see {@link fail}). */
  #failure: (() => unknown) | undefined;
  #failureError: unknown;

  constructor(
    stream: NativeSendStream,
    onWritten: (bytes: number) => void = () => {},
    mapError: (error: unknown) => unknown = (error) => error,
  ) {
    this.#stream = stream;
    this.#onWritten = onWritten;
    this.#mapError = mapError;
  }

  /** Queues one frame (header + payload). */
  write(payload: Uint8Array): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failed());
    this.#pieces.push(frameHeader(payload.length));
    if (payload.length > 0) this.#pieces.push(payload);
    this.#enqueued += payload.length + 4;
    return this.#schedule();
  }

  /**
   * Queues bytes that already hold whole frames (headers included), written as they are. For
   * callers that frame once and fan the same bytes out to many streams, or that coalesce many
   * small frames into one buffer themselves. The bytes must not change until the promise settles.
   */
  writeFramed(frames: Uint8Array): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failed());
    if (frames.length > 0) this.#pieces.push(frames);
    this.#enqueued += frames.length;
    return this.#schedule();
  }

  #schedule(): Promise<void> {
    this.#open ??= newBatch();
    const batch = this.#open;
    batch.end = this.#enqueued;
    // Flush on a microtask so frames written in the same tick share native writes.
    this.#flushing ??= Promise.resolve().then(() => this.#flush());
    return batch.promise;
  }

  /**
   * How long ago everything queued was handed to the stream, in ms: 0 while anything is queued
   * or being written, `Infinity` when nothing ever was.
   */
  quietForMs(now: number = performance.now()): number {
    if (this.#flushing !== undefined || this.#open !== undefined) return 0;
    return this.#lastWrittenAt === undefined
      ? Number.POSITIVE_INFINITY
      : Math.max(0, now - this.#lastWrittenAt);
  }

  /** Resolves when everything queued so far is written (or the stream failed). */
  async drain(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  /**
   * Fails every queued and future write with `error`. A batch whose native write is already
   * under way is settled by that write: if its bytes reached QUIC it resolves.
   */
  fail(error: unknown): void {
    this.failWith(() => error);
  }

  /**
   * {@link fail} with an error built only when a write needs it. Every link that closes fails its
   * writer, and most never write again: their error and its stack trace need not be made.
   */
  failWith(makeError: () => unknown): void {
    this.#failure ??= makeError;
    this.#pieces = [];
    this.#pieceOffset = 0;
    if (this.#open !== undefined) this.#open.reject(this.#failed());
    this.#open = undefined;
  }

  #failed(): unknown {
    this.#failureError ??= this.#failure?.();
    return this.#failureError;
  }

  async #flush(): Promise<void> {
    try {
      while (this.#open && this.#failure === undefined) {
        const batch = this.#open;
        this.#sealed = batch;
        this.#open = undefined;
        // Convert the next slice while the previous one is in flight: the binding
        // copies the array during the call, so the conversion overlaps the write.
        let slice = this.#nextSlice();
        let native = toNativeParts(slice.parts, slice.size, this.#scratch);
        for (;;) {
          const writing = this.#stream.writeAll(native);
          const size = slice.size;
          const more = this.#written + size < batch.end;
          if (more) {
            slice = this.#nextSlice();
            native = toNativeParts(slice.parts, slice.size, this.#scratch);
          }
          await writing;
          this.#lastWrittenAt = performance.now();
          this.#written += size;
          this.#onWritten(size);
          if (!more) break;
          // The link failed while this batch was half written: the rest will not go out.
          if (this.#failure !== undefined) throw this.#failed();
        }
        this.#sealed = undefined;
        batch.resolve();
      }
    } catch (error) {
      const failure = this.#failure !== undefined ? this.#failed() : this.#mapError(error);
      this.#sealed?.reject(failure);
      this.#sealed = undefined;
      this.fail(failure);
    } finally {
      this.#flushing = undefined;
    }
  }

  /** Takes up to WRITE_SLICE_SIZE queued bytes: part of one big frame or many small ones. */
  #nextSlice(): { parts: Uint8Array[]; size: number } {
    const parts: Uint8Array[] = [];
    let size = 0;
    while (size < WRITE_SLICE_SIZE && this.#pieces.length > 0) {
      const piece = this.#pieces[0]!;
      const n = Math.min(piece.length - this.#pieceOffset, WRITE_SLICE_SIZE - size);
      parts.push(piece.subarray(this.#pieceOffset, this.#pieceOffset + n));
      size += n;
      this.#pieceOffset += n;
      if (this.#pieceOffset === piece.length) {
        this.#pieces.shift();
        this.#pieceOffset = 0;
      }
    }
    return { parts, size };
  }
}
