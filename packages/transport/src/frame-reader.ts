import { MosaikError } from '@mosaik/id';
import { FrameDecoder } from './frame.js';
import { fromNative, type NativeRecvStream } from './native.js';

/**
 * Bytes asked of the binding per read. Chunks amortise the per-call cost, but the binding builds
 * each one as a JS array of numbers, and an array of more than about 16k elements lands in V8's
 * large-object space, where building it costs about a quarter more per byte: 8 KiB reads moved
 * 20 % more bytes per second than 64 KiB reads on the same CPU.
 */
export const READ_CHUNK_SIZE = 8 * 1024;

/**
 * Pulls frames from a QUIC receive stream. Reads happen only when a caller wants a
 * frame, which gives natural backpressure: an unread link stops the sender through
 * QUIC flow control instead of growing a buffer here.
 */
export class FrameReader {
  readonly #stream: NativeRecvStream;
  readonly #decoder: FrameDecoder;
  readonly #onRead: (bytes: number) => void;
  #ended = false;

  constructor(stream: NativeRecvStream, maxFrameSize: number, onRead: (bytes: number) => void = () => {}) {
    this.#stream = stream;
    this.#decoder = new FrameDecoder(maxFrameSize);
    this.#onRead = onRead;
  }

  /** A frame already buffered, without reading; throws like {@link next}. */
  tryNext(): Uint8Array | undefined {
    return this.#decoder.next();
  }

  /**
   * The next payload; `undefined` when the stream ended cleanly between frames.
   * Throws {@link ProtocolViolationError} for an oversized frame, an `UnexpectedEnd`
   * marker error (`ended mid-frame`) for a truncated one, and the binding's error
   * when the connection failed.
   */
  async next(): Promise<Uint8Array | undefined> {
    for (;;) {
      const frame = this.#decoder.next();
      if (frame) return frame;
      if (this.#ended) {
        if (this.#decoder.atBoundary) return undefined;
        throw new StreamEndedMidFrameError(this.#decoder.buffered);
      }
      const chunk = await this.#stream.read(READ_CHUNK_SIZE);
      if (chunk.length === 0) {
        this.#ended = true;
        continue;
      }
      this.#onRead(chunk.length);
      this.#decoder.push(fromNative(chunk));
    }
  }
}

/** The peer finished its stream in the middle of a frame. Code `'stream_ended_mid_frame'`. */
export class StreamEndedMidFrameError extends MosaikError<'stream_ended_mid_frame'> {
  constructor(readonly bufferedBytes: number) {
    super(
      'stream_ended_mid_frame',
      `stream ended in the middle of a frame (${bufferedBytes} bytes buffered)`,
    );
  }
}
