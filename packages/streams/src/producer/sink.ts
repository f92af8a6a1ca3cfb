/**
 * The producer sink of one stream on one node: admits
 * subscriptions, fans every datum out to them (encoded once, never waiting on a subscriber), and
 * drops lagging or no-longer-allowed ones.
 */
import { type CatalogSnapshot, type PeerEntry, PeerInfo } from '@mosaik/discovery';
import type { PeerId, Watch } from '@mosaik/id';
import { type Expiration, scheduleExpiry } from '@mosaik/tickets';
import { CloseCode, type Link, ProtocolViolationError } from '@mosaik/transport';
import { StreamCloseCode, streamCloseName } from '../close-codes.js';
import { background, errorText, type StreamsContext } from '../context.js';
import type { ResolvedProducerOptions, StreamDef } from '../def.js';
import { ProducerError } from '../errors.js';
import type { RejectReason, StreamMetrics } from '../metrics.js';
import { ChannelInfo, type ChannelState } from '../status/channel.js';
import { ChannelSet, onlineFlag, type When } from '../status/conditions.js';
import { encodeFramedDatum, encodeStartStream } from '../wire.js';
import { Subscription } from './subscription.js';

/** Aggregate counters of a producer sink. */
export interface ProducerStats {
  /** Datums accepted by `send`/`trySend`. */
  readonly datums: number;
  /** Encoded bytes of those datums. */
  readonly bytes: number;
  /** Per-subscriber drops: queue full, or still queued when the subscriber's link closed. */
  readonly dropped: number;
  /** Subscribers disconnected as too slow. */
  readonly laggingDisconnects: number;
  /** Datums refused as larger than `maxDatumSize`. */
  readonly oversized: number;
  /** Current subscriptions. */
  readonly consumers: number;
}

/** One subscriber of a producer, as {@link Producer.subscriptions} shows it. */
export interface SubscriptionInfo {
  readonly consumerId: PeerId;
  readonly state: ChannelState;
  /** Datums and bytes written to this subscriber. */
  readonly datums: number;
  readonly bytes: number;
  /** Frames waiting in its queue (or being written), and the queue's capacity. */
  readonly queued: number;
  readonly capacity: number;
  /** Datums it missed because its queue was full. */
  readonly dropped: number;
  /** Milliseconds since it connected, if it is connected. */
  readonly uptimeMs: number | undefined;
}

let nextSubscription = 0;

export class Sink<T> {
  readonly channels = new ChannelSet();
  readonly flag: Watch<boolean>;
  readonly when: When;
  readonly metrics: StreamMetrics;
  readonly #subs = new Map<string, Subscription>();
  readonly #expiry = new Map<string, () => void>();
  readonly #ctx: StreamsContext;
  readonly #closedAbort = new AbortController();
  #progressWaiters: (() => void)[] = [];
  #datums = 0;
  #bytes = 0;
  #dropped = 0;
  #lagging = 0;
  #oversized = 0;

  constructor(
    ctx: StreamsContext,
    readonly def: StreamDef<T>,
    readonly options: Readonly<ResolvedProducerOptions<T>>,
    private readonly onClosed: () => void,
  ) {
    this.#ctx = ctx;
    this.metrics = ctx.metrics.stream(def.id);
    ({ flag: this.flag, when: this.when } = onlineFlag(this.channels, options.onlineWhen));
  }

  /** Aborted when the sink closes. */
  get closedSignal(): AbortSignal {
    return this.#closedAbort.signal;
  }

  get isClosed(): boolean {
    return this.#closedAbort.signal.aborted;
  }

  stats(): ProducerStats {
    return {
      datums: this.#datums,
      bytes: this.#bytes,
      dropped: this.#dropped,
      laggingDisconnects: this.#lagging,
      oversized: this.#oversized,
      consumers: this.#subs.size,
    };
  }

  /** Every current subscriber with its queue depth and drops. */
  subscriptions(): SubscriptionInfo[] {
    const now = Date.now();
    return [...this.#subs.values()].map((s) => ({
      consumerId: s.channel.peerId,
      state: s.channel.state,
      datums: s.channel.stats.datums,
      bytes: s.channel.stats.bytes,
      queued: s.depth,
      capacity: s.capacity,
      dropped: s.dropped,
      uptimeMs: s.channel.stats.uptime(now),
    }));
  }

  /** Fullest queue among the subscribers that are not stalled, 0…1 (or more, by bytes). */
  pressure(): number {
    let max = 0;
    let now: number | undefined;
    for (const s of this.#subs.values()) {
      const fill = s.fill;
      if (fill <= max) continue;
      now ??= performance.now();
      if (!s.stalled(now)) max = fill;
    }
    return max;
  }

  /**
   * Resolves when any subscriber completes a write, or after `ms` at most (one timer per waiting
   * `send`, only while under pressure). Waiting on real progress, not on event-loop turns, is what
   * keeps a CPU-starved producer from queueing far ahead of its writers.
   */
  progress(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#progressWaiters.push(done);
    });
  }

  #progressed(): void {
    if (this.#progressWaiters.length === 0) return;
    for (const w of this.#progressWaiters.splice(0)) w();
  }

  /**
   * Fan-out: encode once, try-push to every subscriber, never wait. Throws
   * {@link ProducerError} `oversized` (counted, sent to nobody) when the encoded datum exceeds
   * `maxDatumSize`: every consumer would close its link on it.
   */
  publish(datum: T): void {
    if (this.#subs.size === 0) {
      this.#undelivered(datum);
      return;
    }
    let payload: Uint8Array;
    try {
      payload = this.def.codec.encode(datum);
    } catch (error) {
      this.#ctx.log.warn({ stream: this.def.id.short(), err: errorText(error) }, 'datum failed to encode');
      this.#undelivered(datum);
      return;
    }
    const bytes = payload.length;
    if (bytes > this.def.maxDatumSize) {
      this.#oversized++;
      this.metrics.itemsOversized.inc();
      this.#ctx.log.warn(
        { stream: this.def.id.short(), bytes, maxDatumSize: this.def.maxDatumSize },
        'datum larger than maxDatumSize refused',
      );
      throw new ProducerError(
        'oversized',
        datum,
        `encoded datum of ${bytes} bytes exceeds maxDatumSize ${this.def.maxDatumSize}`,
      );
    }
    const frame = encodeFramedDatum(payload);
    this.#datums++;
    this.#bytes += bytes;
    let queued = 0;
    for (const sub of this.#subs.values()) {
      // Criteria (content filters sent in the handshake) match every datum today; the hook would go here.
      if (sub.push(frame)) {
        queued++;
        continue;
      }
      this.#dropped++;
      sub.dropped++;
      this.metrics.itemsDropped.inc();
      if (this.options.disconnectLagging && !sub.ended) {
        this.#lagging++;
        this.metrics.laggingDisconnects.inc();
        this.#drop(sub, StreamCloseCode.TooSlow);
      }
    }
    if (queued > 0) {
      this.metrics.itemsSent.inc(queued);
      this.metrics.bytesSent.inc(queued * bytes);
    }
  }

  /** Datums queued for a subscriber whose link closed (or that was dropped) before they went out. */
  #lost(datums: number): void {
    this.#dropped += datums;
    this.metrics.itemsDropped.inc(datums);
  }

  #undelivered(datum: T): void {
    const sink = this.options.undelivered;
    if (sink === undefined) return;
    try {
      sink(datum);
    } catch (error) {
      this.#ctx.log.warn({ err: errorText(error) }, 'undelivered callback threw');
    }
  }

  /** Step 7 of the accept pipeline: capacity, RTT sample, require, tickets, then subscribe. */
  async accept(link: Link<unknown>, consumer: PeerEntry): Promise<void> {
    const log = this.#ctx.log;
    if (this.isClosed) {
      await link.close(CloseCode.StreamNotFound);
      return;
    }
    if (this.#subs.size >= this.options.maxConsumers) {
      await this.#reject(link, StreamCloseCode.NoCapacity, 'capacity');
      return;
    }
    const rtt = link.rtt();
    if (rtt !== undefined) this.#ctx.discovery.recordRtt(link.remoteId, rtt);
    const expiration = this.#admits(consumer);
    if (typeof expiration === 'string') {
      await this.#reject(link, CloseCode.NotAllowed, expiration);
      return;
    }
    const key = `${consumer.peerId.toString()}#${nextSubscription++}`;
    const channel = new ChannelInfo(this.def.id, this.#ctx.node.peerId, consumer.peerId, consumer, () =>
      this.channels.changed(),
    );
    const sub = new Subscription(
      key,
      link,
      channel,
      this.options.bufferSize,
      (lost) => this.#lost(lost),
      () => this.#progressed(),
    );
    this.#subs.set(key, sub);
    this.channels.add(key, channel);
    this.metrics.consumersAccepted.inc();
    this.metrics.producerConsumers.set(this.#subs.size);
    this.#armExpiry(sub, expiration);
    log.debug({ stream: this.def.id.short(), consumer: consumer.peerId.short() }, 'consumer subscribed');
    // The link ending (either side) ends the subscription.
    background(
      log,
      'subscription watcher',
      link.closed().then(() => this.#remove(sub)),
    );
    background(log, 'subscription reader', this.#refuseInput(sub));
    background(
      log,
      'subscription writer',
      sub.run(encodeStartStream({ network: this.#ctx.node.networkId, stream: this.def.id })).finally(() => {
        if (!link.isClosed) void link.close(CloseCode.UnexpectedClose);
        this.#remove(sub);
      }),
    );
  }

  /**
   * Nothing may flow consumer → producer after the handshake: the first frame that does closes
   * the subscription with `ProtocolViolation` (a frame over the receive cap already did so in the
   * transport). Keeps a misbehaving peer from filling buffers on a half nobody reads.
   */
  async #refuseInput(sub: Subscription): Promise<void> {
    try {
      await sub.link.recvRaw();
    } catch (error) {
      if (!(error instanceof ProtocolViolationError)) return; // the link closed: nothing to refuse
    }
    if (!this.#subs.has(sub.key)) return;
    this.metrics.protocolViolations.inc();
    this.#ctx.log.warn(
      { stream: this.def.id.short(), consumer: sub.channel.peerId.short() },
      'consumer sent data after its handshake; closing with ProtocolViolation',
    );
    this.#drop(sub, CloseCode.ProtocolViolation);
  }

  /** `require` and tickets; returns the earliest ticket expiration or the rejection reason. */
  #admits(consumer: PeerEntry): Expiration | undefined | 'require' | 'ticket' {
    const info = new PeerInfo(consumer, this.#ctx.discovery.rtt.get(consumer.peerId));
    for (const p of this.options.require) {
      let ok = false;
      try {
        ok = p(info);
      } catch {
        ok = false;
      }
      if (!ok) return 'require';
    }
    try {
      return consumer.validateTickets(this.options.requireTicket);
    } catch {
      return 'ticket';
    }
  }

  async #reject(link: Link<unknown>, code: number, reason: RejectReason): Promise<void> {
    this.metrics.consumersRejected(reason).inc();
    this.#ctx.log.debug(
      { stream: this.def.id.short(), peer: link.remoteId.short(), reason },
      'consumer rejected',
    );
    await link.close(code, streamCloseName(code));
  }

  #armExpiry(sub: Subscription, expiration: Expiration | undefined): void {
    this.#expiry.get(sub.key)?.();
    this.#expiry.delete(sub.key);
    if (expiration === undefined || expiration.isNever) return;
    const cancel = scheduleExpiry(
      expiration,
      () => {
        this.#ctx.log.debug({ consumer: sub.channel.peerId.short() }, 'consumer ticket expired');
        this.#drop(sub, CloseCode.NotAllowed);
      },
      { signal: this.closedSignal },
    );
    this.#expiry.set(sub.key, cancel);
  }

  /**
   * Catalog changed: re-check every subscription against the consumer's latest entry (its
   * snapshot when it has none) and the current RTT. Renewed tickets re-arm the expiry timer.
   */
  reevaluate(catalog: CatalogSnapshot): void {
    for (const sub of [...this.#subs.values()]) {
      const entry = catalog.get(sub.channel.peerId) ?? sub.channel.peer;
      const verdict = this.#admits(entry);
      if (typeof verdict === 'string') {
        this.metrics.consumersRejected(verdict).inc();
        this.#drop(sub, CloseCode.NotAllowed);
      } else {
        this.#armExpiry(sub, verdict);
      }
    }
  }

  #drop(sub: Subscription, code: number): void {
    sub.end();
    background(this.#ctx.log, 'closing a subscription', sub.link.close(code, streamCloseName(code)));
    this.#remove(sub);
  }

  #remove(sub: Subscription): void {
    if (!this.#subs.has(sub.key)) return;
    sub.end();
    this.#subs.delete(sub.key);
    this.#expiry.get(sub.key)?.();
    this.#expiry.delete(sub.key);
    sub.channel.setState('terminated');
    sub.channel.stats.clear();
    this.channels.delete(sub.key);
    this.metrics.producerConsumers.set(this.#subs.size);
  }

  /** Closes every subscription with `GracefulShutdown` and stops. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.#closedAbort.abort();
    this.#progressed();
    const links = [...this.#subs.values()].map((s) => {
      // Queued datums go out before the link closes: a graceful close lets the link drain.
      s.finish();
      return s.link.close(CloseCode.GracefulShutdown);
    });
    for (const s of [...this.#subs.values()]) this.#remove(s);
    this.onClosed();
    await Promise.allSettled(links);
    this.channels.close();
  }
}
