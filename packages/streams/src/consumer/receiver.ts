/**
 * One consumer-side worker attached to one remote producer:
 * connect, handshake, read datums; react to the producer's close code by reconnecting with
 * backoff, syncing the catalog (`UnknownPeer`) or terminating.
 */
import type { PeerEntry } from '@mosaik/discovery';
import { DecodeError, MosaikError, sleep } from '@mosaik/id';
import {
  CancelledError,
  CloseCode,
  type Link,
  LinkClosedError,
  ProtocolViolationError,
} from '@mosaik/transport';
import { Backoff, type BackoffPolicy } from '../backoff.js';
import { addrOf, errorText, type StreamsContext } from '../context.js';
import type { StreamDef } from '../def.js';
import type { StreamMetrics } from '../metrics.js';
import type { ChannelInfo } from '../status/channel.js';
import {
  DATUM_HEADER_BYTES,
  datumSentAt,
  decodeStartStream,
  encodeHandshake,
  MAX_HANDSHAKE_BYTES,
  nowMs,
  STREAMS_ALPN,
} from '../wire.js';

/** Close codes after which this receiver stops (a later catalog change may start a new one). */
const TERMINAL = new Set<number>([
  CloseCode.NotAllowed,
  CloseCode.GracefulShutdown,
  CloseCode.StreamNotFound,
  CloseCode.DifferentNetwork,
]);

/** A datum frame within the transport's cap but over the stream's `maxDatumSize`. */
class OversizedDatumError extends MosaikError<'oversized_datum'> {
  constructor(bytes: number) {
    super('oversized_datum', `datum of ${bytes} bytes exceeds maxDatumSize`);
  }
}

/** What ended one connection attempt. */
type Outcome = 'retry' | 'terminate' | 'sync';

export class Receiver<T> {
  readonly #abort: AbortController;
  readonly #backoff: Backoff;
  #lastRttSample = 0;
  #link: Link<unknown> | undefined;

  constructor(
    private readonly ctx: StreamsContext,
    private readonly def: StreamDef<T>,
    readonly channel: ChannelInfo,
    private readonly producer: PeerEntry,
    backoff: Partial<BackoffPolicy>,
    private readonly metrics: StreamMetrics,
    private readonly deliver: (datum: T, bytes: number) => void,
  ) {
    // Stopped only through `cancel()`: the consumer cancels each receiver it detaches, so a
    // consumer of many producers hangs no listener per producer on a shared signal.
    this.#abort = new AbortController();
    this.#backoff = new Backoff(backoff);
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Stops the receiver; its link closes with `Cancelled`. */
  cancel(): void {
    if (this.#abort.signal.aborted) return;
    this.#abort.abort();
    void this.#link?.close(CloseCode.Cancelled);
  }

  /** Runs until terminated; never rejects. */
  async run(): Promise<void> {
    const log = this.ctx.log;
    try {
      for (;;) {
        if (this.signal.aborted) return;
        const wait = this.#backoff.next();
        if (wait === undefined) {
          log.debug({ producer: this.producer.peerId.short() }, 'receiver gave up (backoff exhausted)');
          return;
        }
        if (wait > 0) await sleep(wait, this.signal);
        this.channel.setState('connecting');
        const outcome = await this.#attempt();
        if (outcome === 'terminate') return;
        if (outcome === 'sync') {
          try {
            await this.ctx.discovery.syncWith(addrOf(this.producer));
          } catch (error) {
            log.debug({ err: errorText(error) }, 'catalog sync after UnknownPeer failed');
            return;
          }
        }
      }
    } catch (error) {
      if (!this.signal.aborted) log.debug({ err: errorText(error) }, 'receiver failed');
    } finally {
      this.cancel();
    }
  }

  async #attempt(): Promise<Outcome> {
    const { node } = this.ctx;
    let link: Link<unknown>;
    try {
      node.addressBook.observe(addrOf(this.producer));
      link = await node.connect(this.producer.peerId, STREAMS_ALPN, {
        signal: this.signal,
        // The StartStream reply must fit too, even when datums are tiny; bigger datum frames
        // that still fit are refused in #session.
        maxFrameSize: Math.max(this.def.maxDatumSize + DATUM_HEADER_BYTES, MAX_HANDSHAKE_BYTES),
      });
    } catch (error) {
      if (error instanceof CancelledError || this.signal.aborted) return 'terminate';
      this.ctx.log.debug({ err: errorText(error) }, 'stream connect failed');
      return 'retry';
    }
    this.#link = link;
    if (this.signal.aborted) {
      await link.close(CloseCode.Cancelled);
      return 'terminate';
    }
    // The channel stops counting as connected the moment its link closes (either side), not when
    // the read loop notices or the next attempt starts after a backoff wait.
    void link.closed().then(() => {
      if (this.#link === link) this.channel.setState('connecting');
    });
    try {
      return await this.#session(link);
    } catch (error) {
      return this.#classify(error);
    } finally {
      this.#link = undefined;
      this.channel.setState('connecting');
      if (!link.isClosed)
        await link.close(this.signal.aborted ? CloseCode.Cancelled : CloseCode.UnexpectedClose);
    }
  }

  async #session(link: Link<unknown>): Promise<Outcome> {
    const { node } = this.ctx;
    await link.sendRaw(encodeHandshake({ network: node.networkId, stream: this.def.id, criteria: {} }));
    let reply: ReturnType<typeof decodeStartStream>;
    try {
      reply = decodeStartStream(await link.recvRaw());
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      await link.close(CloseCode.ProtocolViolation);
      return 'retry';
    }
    if (!reply.network.equals(node.networkId)) {
      await link.close(CloseCode.DifferentNetwork);
      return 'terminate';
    }
    if (!reply.stream.equals(this.def.id)) {
      await link.close(CloseCode.StreamNotFound);
      return 'terminate';
    }
    this.channel.stats.connected();
    this.channel.setState('connected');
    const decoder = this.def.decoder;
    const m = this.metrics;
    for (;;) {
      const frame = await link.recvRaw();
      let datum: T;
      let sentAtMs: number;
      const payloadBytes = frame.length - DATUM_HEADER_BYTES;
      try {
        if (payloadBytes > this.def.maxDatumSize) throw new OversizedDatumError(payloadBytes);
        sentAtMs = datumSentAt(frame);
        datum = decoder.decode(frame.subarray(DATUM_HEADER_BYTES));
      } catch (error) {
        const reason =
          error instanceof OversizedDatumError
            ? 'oversized'
            : error instanceof DecodeError && error.issues !== undefined
              ? 'schema'
              : 'decode';
        m.invalid(reason).inc();
        this.ctx.log.warn(
          { producer: link.remoteId.short(), stream: this.def.id.short(), reason, err: errorText(error) },
          'invalid datum dropped; closing the link',
        );
        await link.close(CloseCode.ProtocolViolation);
        return 'retry';
      }
      this.deliver(datum, payloadBytes);
      this.channel.stats.record(payloadBytes);
      m.datumsTotal.inc();
      m.bytesTotal.inc(payloadBytes);
      const now = nowMs();
      if (sentAtMs > 0 && now >= sentAtMs) m.latency.observe((now - sentAtMs) / 1000);
      this.#backoff.reset();
      if (now - this.#lastRttSample > this.ctx.config.rttSampleIntervalMs) {
        this.#lastRttSample = now;
        const rtt = link.rtt();
        if (rtt !== undefined) this.ctx.discovery.recordRtt(link.remoteId, rtt);
      }
    }
  }

  #classify(error: unknown): Outcome {
    if (this.signal.aborted) return 'terminate';
    if (error instanceof ProtocolViolationError) {
      // The transport refused a frame (over maxDatumSize): count it like an invalid datum.
      this.metrics.invalid('oversized').inc();
      this.ctx.log.warn({ producer: this.producer.peerId.short(), err: error.message }, 'oversized datum');
      return 'retry';
    }
    if (error instanceof LinkClosedError) {
      const { code, local } = error.info;
      this.ctx.log.debug({ producer: this.producer.peerId.short(), code, local }, 'stream link closed');
      if (local || code === undefined) return 'retry';
      if (code === CloseCode.UnknownPeer) return 'sync';
      if (TERMINAL.has(code)) return 'terminate';
      return 'retry';
    }
    this.ctx.log.debug({ err: errorText(error) }, 'stream session failed');
    return 'retry';
  }
}
