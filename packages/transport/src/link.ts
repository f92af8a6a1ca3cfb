import { type Codec, cborCodec, type PeerId } from '@mosaik/id';
import { CloseCode, type CloseInfo, closeCodeName, parseCloseReason } from './close-code.js';
import { CancelledError, LinkClosedError, nativeMessage, ProtocolViolationError } from './errors.js';
import { DEFAULT_MAX_FRAME_SIZE } from './frame.js';
import { FrameReader, StreamEndedMidFrameError } from './frame-reader.js';
import { FrameWriter } from './frame-writer.js';
import { type NativeBiStream, type NativeConnection, nativeString } from './native.js';

/** How long `close()` waits for sent data to be acknowledged before closing the connection. */
const CLOSE_LINGER_MS = 1000;
/** How long a receiver that saw the peer's stream end waits for the peer's close code. */
const END_TO_CLOSE_GRACE_MS = 1000;

/** Options of a {@link Link}. */
export interface LinkOptions<T> {
  /** Message codec; default CBOR. */
  readonly codec?: Codec<T>;
  /** Receive cap for one frame's payload; bigger frames close the link with `ProtocolViolation`. Default 16 MiB. */
  readonly maxFrameSize?: number;
  /** Aborting closes the link with `Cancelled`. */
  readonly signal?: AbortSignal;
}

/** Byte accounting hooks, wired to the node's metrics. */
export interface LinkCounters {
  sent(bytes: number): void;
  received(bytes: number): void;
}

const noCounters: LinkCounters = { sent() {}, received() {} };

/**
 * One QUIC connection with one bidirectional stream carrying length-prefixed
 * messages. The opener must send first: QUIC reveals a stream to the peer only
 * when data is sent on it.
 *
 * `send` coalesces messages queued in the same tick into one write; `recv` pulls
 * frames on demand (an unread link pushes back on the sender through QUIC flow
 * control). Every failure surfaces as a typed error: {@link LinkClosedError} (with the
 * peer's close code), {@link ProtocolViolationError} or {@link CancelledError}.
 */
export class Link<T = unknown> implements AsyncIterable<T>, AsyncDisposable {
  readonly #conn: NativeConnection;
  readonly #bi: NativeBiStream;
  readonly #codec: Codec<T>;
  readonly #writer: FrameWriter;
  readonly #reader: FrameReader;
  readonly #closed: Promise<CloseInfo>;
  readonly #detachSignal: () => void;
  #receiving: Promise<void> | undefined;
  #localClose: CloseInfo | undefined;
  #closing: Promise<void> | undefined;

  /** @internal Links are made by `LocalNode.connect` and ALPN handlers. */
  constructor(
    conn: NativeConnection,
    bi: NativeBiStream,
    /** The authenticated peer on the other end. */
    readonly remoteId: PeerId,
    /** The protocol this link speaks. */
    readonly alpn: string,
    options: LinkOptions<T> = {},
    counters: LinkCounters = noCounters,
  ) {
    this.#conn = conn;
    this.#bi = bi;
    this.#codec = options.codec ?? cborCodec<T>();
    this.#writer = new FrameWriter(bi.send, counters.sent, (error) => this.#toLinkError(error));
    this.#reader = new FrameReader(
      bi.recv,
      options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE,
      counters.received,
    );
    this.#closed = conn.closed().then(
      (text) => this.#localClose ?? parseCloseReason(text) ?? { code: undefined, reason: text, local: false },
      (error: unknown) => this.#localClose ?? { code: undefined, reason: nativeMessage(error), local: false },
    );
    const signal = options.signal;
    const onAbort = () => void this.close(CloseCode.Cancelled);
    signal?.addEventListener('abort', onAbort, { once: true });
    this.#detachSignal = () => signal?.removeEventListener('abort', onAbort);
    if (signal?.aborted) onAbort();
    // Once the connection is gone, pending and future writes fail with the close reason,
    // and the link stops listening to a (possibly long-lived) signal.
    void this.#closed.then((info) => {
      this.#writer.failWith(() => new LinkClosedError(info));
      this.#detachSignal();
    });
  }

  /** Encodes and sends one message. Resolves once its bytes are handed to QUIC. */
  send(value: T): Promise<void> {
    let payload: Uint8Array;
    try {
      payload = this.#codec.encode(value);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.sendRaw(payload);
  }

  /** Sends one pre-encoded payload as a frame. */
  sendRaw(payload: Uint8Array): Promise<void> {
    if (this.#localClose) return Promise.reject(new LinkClosedError(this.#localClose));
    return this.#writer.write(payload);
  }

  /**
   * Sends bytes that already hold one or more complete frames (each a 4-byte big-endian length
   * and its payload, see `frameHeader`), with no further framing. Lets a caller frame a message
   * once for many links and coalesce many frames into one write.
   */
  sendFramed(frames: Uint8Array): Promise<void> {
    if (this.#localClose) return Promise.reject(new LinkClosedError(this.#localClose));
    return this.#writer.writeFramed(frames);
  }

  /** Receives and decodes the next message. Undecodable input closes the link with `ProtocolViolation`. */
  async recv(): Promise<T> {
    const payload = await this.recvRaw();
    try {
      return this.#codec.decode(payload);
    } catch (error) {
      await this.close(CloseCode.ProtocolViolation);
      throw new ProtocolViolationError(`undecodable message on ${this.alpn}`, { cause: error });
    }
  }

  /** Receives the next frame's raw payload. */
  recvRaw(): Promise<Uint8Array> {
    if (!this.#receiving && !this.#localClose) {
      // Fast path: a frame is already buffered and nobody else is receiving.
      try {
        const frame = this.#reader.tryNext();
        if (frame) return Promise.resolve(frame);
      } catch {
        // Fall through: the slow path reports the error and closes the link.
      }
    }
    // Serialise concurrent receivers: frames must be taken in order.
    const previous = this.#receiving ?? Promise.resolve();
    const next = previous.then(() => this.#recvFrame());
    const settled = next.then(
      () => {},
      () => {},
    );
    this.#receiving = settled;
    void settled.then(() => {
      if (this.#receiving === settled) this.#receiving = undefined;
    });
    return next;
  }

  async #recvFrame(): Promise<Uint8Array> {
    if (this.#localClose) throw new LinkClosedError(this.#localClose);
    let frame: Uint8Array | undefined;
    try {
      frame = await this.#reader.next();
    } catch (error) {
      if (error instanceof ProtocolViolationError) {
        await this.close(CloseCode.ProtocolViolation);
        throw error;
      }
      if (error instanceof StreamEndedMidFrameError) {
        await this.close(CloseCode.UnexpectedClose);
        throw new LinkClosedError({ code: CloseCode.UnexpectedClose, reason: error.message, local: true });
      }
      throw this.#toLinkError(error);
    }
    if (frame) return frame;
    // The peer finished its stream: it is closing. Report its close code if it arrives soon.
    const info = await withTimeout(this.#closed, END_TO_CLOSE_GRACE_MS);
    if (info) throw new LinkClosedError(info);
    await this.close(CloseCode.UnexpectedClose);
    throw new LinkClosedError(
      this.#localClose ?? { code: CloseCode.UnexpectedClose, reason: 'stream ended', local: true },
    );
  }

  /** Iterates received messages until the link closes; a protocol violation is thrown. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      try {
        yield await this.recv();
      } catch (error) {
        if (error instanceof LinkClosedError) return;
        throw error;
      }
    }
  }

  /** Separate send and receive halves (for a reader task and a writer task). */
  split(): { sender: LinkSender<T>; receiver: LinkReceiver<T> } {
    return { sender: new LinkSender(this), receiver: new LinkReceiver(this) };
  }

  /**
   * Closes the link with `code` (default `Success`). With `Success` or `GracefulShutdown`, sent
   * data gets up to a second to be acknowledged first, so a final message is not lost; a link
   * that wrote nothing in the last second (or never) closes at once. Closing twice is a no-op.
   *
   * `{ linger: false }` skips that wait: for a request/response exchange whose last message from
   * the peer answered ours, so the peer has everything we sent. The wait costs a delayed
   * acknowledgement (about 25 ms on loopback) and some CPU on both ends, which adds up for
   * short-lived links opened by the thousand.
   */
  close(
    code: CloseCode | number = CloseCode.Success,
    reason: string = closeCodeName(code),
    options: { readonly linger?: boolean } = {},
  ): Promise<void> {
    if (this.#closing) return this.#closing;
    const localClose: CloseInfo = { code, reason, local: true };
    this.#localClose = localClose;
    this.#detachSignal();
    this.#closing = (async () => {
      const graceful = code === CloseCode.Success || code === CloseCode.GracefulShutdown;
      // Bytes handed to QUIC a linger's length ago or more have had the time a linger grants;
      // waiting again would cost a round trip, a delayed acknowledgement and CPU on both ends.
      if (graceful && options.linger !== false && this.#writer.quietForMs() < CLOSE_LINGER_MS) {
        await withTimeout(this.#flushAndFinish(), CLOSE_LINGER_MS);
      }
      this.#writer.failWith(() => new LinkClosedError(localClose));
      try {
        this.#conn.close(BigInt(code), nativeString(reason));
      } catch {
        // Already closed by the peer or the endpoint: nothing left to do.
      }
      await this.#closed;
    })();
    return this.#closing;
  }

  async #flushAndFinish(): Promise<void> {
    try {
      await this.#writer.drain();
      await this.#bi.send.finish();
      await this.#bi.send.stopped();
    } catch {
      // The connection already failed; close() reports the local reason anyway.
    }
  }

  /** Resolves with how the link ended, once it has. Never rejects. */
  closed(): Promise<CloseInfo> {
    return this.#closed;
  }

  /** True once the link was closed locally or by the peer. */
  get isClosed(): boolean {
    return this.#localClose !== undefined || this.#conn.closeReason() !== null;
  }

  /** Round-trip time of the selected path in milliseconds, if known. */
  rtt(): number | undefined {
    try {
      return this.#conn.rtt() ?? undefined;
    } catch {
      return undefined;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #toLinkError(error: unknown): Error {
    if (error instanceof LinkClosedError || error instanceof CancelledError) return error;
    if (this.#localClose) return new LinkClosedError(this.#localClose, { cause: error });
    const text = error instanceof Error ? error.message : String(error);
    const info = parseCloseReason(text) ?? { code: undefined, reason: nativeMessage(error), local: false };
    return new LinkClosedError(info, { cause: error });
  }
}

/** The sending half of a {@link Link}. */
export class LinkSender<T> {
  constructor(readonly link: Link<T>) {}
  send(value: T): Promise<void> {
    return this.link.send(value);
  }
  sendRaw(payload: Uint8Array): Promise<void> {
    return this.link.sendRaw(payload);
  }
}

/** The receiving half of a {@link Link}. */
export class LinkReceiver<T> implements AsyncIterable<T> {
  constructor(readonly link: Link<T>) {}
  recv(): Promise<T> {
    return this.link.recv();
  }
  recvRaw(): Promise<Uint8Array> {
    return this.link.recvRaw();
  }
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.link[Symbol.asyncIterator]();
  }
}

/** Waits for `work` at most `ms`; resolves `undefined` on timeout. The timer never outlives the wait. */
async function withTimeout<R>(work: Promise<R>, ms: number): Promise<R | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
