import { ProtocolViolationError } from './errors.js';

/** Frames are a 4-byte big-endian payload length followed by the payload. */
export const FRAME_HEADER_SIZE = 4;

/** Default receive cap for one frame's payload: 16 MiB. */
export const DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;

/** Writes the 4-byte big-endian length header for a payload of `length` bytes. */
export function frameHeader(length: number): Uint8Array {
  return Uint8Array.of(length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
}

/**
 * Incremental frame parser: feed it chunks as they arrive, take complete payloads out.
 * Pure and synchronous, so it can be fuzzed. A header announcing more than
 * `maxFrameSize` bytes throws {@link ProtocolViolationError} before any payload is buffered.
 */
export class FrameDecoder {
  #chunks: Uint8Array[] = [];
  #offset = 0; // read position inside #chunks[0]
  #buffered = 0; // unread bytes across all chunks
  #pendingLength: number | undefined; // payload length of the frame being assembled

  constructor(readonly maxFrameSize = DEFAULT_MAX_FRAME_SIZE) {}

  /** Unread bytes held. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Bytes still needed to complete the current frame (at least 1 when idle). */
  get wanted(): number {
    if (this.#pendingLength === undefined) return Math.max(1, FRAME_HEADER_SIZE - this.#buffered);
    return Math.max(0, this.#pendingLength - this.#buffered);
  }

  /** Appends received bytes. */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
  }

  /** Returns the next complete payload, or `undefined` if more bytes are needed. */
  next(): Uint8Array | undefined {
    if (this.#pendingLength === undefined) {
      if (this.#buffered < FRAME_HEADER_SIZE) return undefined;
      const h = this.#take(FRAME_HEADER_SIZE);
      const length = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
      if (length > this.maxFrameSize) {
        throw new ProtocolViolationError(
          `frame of ${length} bytes exceeds the ${this.maxFrameSize}-byte receive cap`,
        );
      }
      this.#pendingLength = length;
    }
    if (this.#buffered < this.#pendingLength) return undefined;
    const payload = this.#take(this.#pendingLength);
    this.#pendingLength = undefined;
    return payload;
  }

  /** True when no partial frame is held (a clean place for the stream to end). */
  get atBoundary(): boolean {
    return this.#pendingLength === undefined && this.#buffered === 0;
  }

  #take(length: number): Uint8Array {
    const first = this.#chunks[0];
    this.#buffered -= length;
    if (length === 0) return new Uint8Array(0);
    // Fast path: the bytes lie inside the first chunk; no copy.
    if (first && first.length - this.#offset >= length) {
      const out = first.subarray(this.#offset, this.#offset + length);
      this.#offset += length;
      if (this.#offset === first.length) {
        this.#chunks.shift();
        this.#offset = 0;
      }
      return out;
    }
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const chunk = this.#chunks[0]!;
      const n = Math.min(chunk.length - this.#offset, length - filled);
      out.set(chunk.subarray(this.#offset, this.#offset + n), filled);
      filled += n;
      this.#offset += n;
      if (this.#offset === chunk.length) {
        this.#chunks.shift();
        this.#offset = 0;
      }
    }
    return out;
  }
}
