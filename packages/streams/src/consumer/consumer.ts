/**
 * A consumer of one stream: watches the catalog, attaches one
 * {@link Receiver} to every eligible producer (or the best-ranked ones, with `prefer`), and
 * merges their datums into one queue.
 */
import { type CatalogSnapshot, type PeerEntry, PeerInfo } from '@mosaik/discovery';
import type { StreamId, Watch } from '@mosaik/id';
import { type Expiration, scheduleExpiry } from '@mosaik/tickets';
import { addrOf, background, errorText, type StreamsContext } from '../context.js';
import type { ResolvedConsumerOptions, StreamDef } from '../def.js';
import type { StreamMetrics } from '../metrics.js';
import { ChannelInfo, type ChannelState } from '../status/channel.js';
import { ChannelSet, onlineFlag, type When } from '../status/conditions.js';
import { Stats } from '../status/stats.js';
import { DatumQueue } from './queue.js';
import { Receiver } from './receiver.js';
import { type Candidate, needsProbe, selectProducers } from './select.js';

/** Per-producer part of {@link ConsumerStats}. */
export interface ProducerChannelStats {
  readonly peerId: string;
  readonly state: ChannelState;
  readonly datums: number;
  readonly bytes: number;
}

/** Aggregate counters of a consumer (datums are counted when the application takes them). */
export interface ConsumerStats {
  readonly datums: number;
  readonly bytes: number;
  /** Milliseconds since the consumer was created. */
  readonly uptimeMs: number;
  /** Datums received but not yet taken. */
  readonly queued: number;
  readonly producers: readonly ProducerChannelStats[];
}

interface Active<T> {
  readonly receiver: Receiver<T>;
  readonly cancelExpiry: () => void;
}

/**
 * Receives the datums of every eligible producer of a stream. Async-iterable; close it (or
 * `await using`) to release its connections.
 *
 * @example
 * ```ts
 * await using consumer = net.streams.consume(Prices);
 * for await (const price of consumer) console.log(price);
 * ```
 */
export class Consumer<T> implements AsyncIterable<T>, AsyncDisposable {
  readonly #ctx: StreamsContext;
  readonly #def: StreamDef<T>;
  readonly #options: Readonly<ResolvedConsumerOptions>;
  readonly #metrics: StreamMetrics;
  readonly #queue = new DatumQueue<T>();
  readonly #active = new Map<string, Active<T>>();
  readonly #probing = new Set<string>();
  /** Catalog version at which a receiver ended by itself: not retried until the catalog changes. */
  readonly #ended = new Map<string, number>();
  readonly #abort = new AbortController();
  readonly #stats = new Stats();
  readonly #channels = new ChannelSet();
  readonly #flag: Watch<boolean>;
  readonly #when: When;
  readonly #created = Date.now();
  readonly #unsubscribe: () => void;
  #rerank: NodeJS.Timeout | undefined;

  /** @internal Use `streams.consume` / `streams.consumer(...).build()`. */
  constructor(
    ctx: StreamsContext,
    def: StreamDef<T>,
    options: Readonly<ResolvedConsumerOptions>,
    register: (c: Consumer<T>) => () => void,
  ) {
    this.#ctx = ctx;
    this.#def = def;
    this.#options = options;
    this.#metrics = ctx.metrics.stream(def.id);
    ({ flag: this.#flag, when: this.#when } = onlineFlag(this.#channels, options.onlineWhen));
    this.#stats.connected(this.#created);
    this.#unsubscribe = register(this);
    if (options.prefer !== 'all') {
      this.#rerank = setInterval(() => this.onCatalog(ctx.discovery.catalog()), ctx.config.rerankIntervalMs);
    }
    this.onCatalog(ctx.discovery.catalog());
  }

  get streamId(): StreamId {
    return this.#def.id;
  }

  get options(): Readonly<ResolvedConsumerOptions> {
    return this.#options;
  }

  /** Online status and producer conditions. */
  get when(): When {
    return this.#when;
  }

  get isOnline(): boolean {
    return this.#flag.get();
  }

  get isClosed(): boolean {
    return this.#abort.signal.aborted;
  }

  /** One channel per attached producer, including ones still connecting. */
  producers(): ChannelInfo[] {
    return this.#channels.values();
  }

  stats(): ConsumerStats {
    return {
      datums: this.#stats.datums,
      bytes: this.#stats.bytes,
      uptimeMs: Date.now() - this.#created,
      queued: this.#queue.length,
      producers: this.#channels.values().map((c) => ({
        peerId: c.peerId.toString(),
        state: c.state,
        datums: c.stats.datums,
        bytes: c.stats.bytes,
      })),
    };
  }

  /**
   * The next datum; `undefined` once the consumer is closed and drained (the end of the stream).
   * Rejects with `signal.reason` when `signal` aborts first, so giving up is never mistaken for
   * the end; a datum that arrives later is kept for the next read.
   */
  async recv(signal?: AbortSignal): Promise<T | undefined> {
    const item = await this.#queue.shift(signal);
    return item === undefined ? undefined : this.#took(item);
  }

  /** The next datum if one is waiting. */
  tryRecv(): T | undefined {
    const item = this.#queue.tryShift();
    return item === undefined ? undefined : this.#took(item);
  }

  #took(item: { datum: T; bytes: number }): T {
    this.#stats.record(item.bytes);
    this.#metrics.itemsReceived.inc();
    this.#metrics.bytesReceived.inc(item.bytes);
    return item.datum;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      const item = await this.#queue.shift();
      if (item === undefined) return;
      yield this.#took(item);
    }
  }

  /** @internal Catalog changed (or the re-rank timer fired): attach, detach, re-rank. */
  onCatalog(catalog: CatalogSnapshot): void {
    if (this.isClosed) return;
    try {
      this.#scan(catalog);
    } catch (error) {
      this.#ctx.log.warn({ err: errorText(error) }, 'consumer catalog scan failed');
    }
  }

  #scan(catalog: CatalogSnapshot): void {
    const local = this.#ctx.node.peerId;
    const discovery = this.#ctx.discovery;
    const prefer = this.#options.prefer;
    const eligible: (Candidate & { expiration: Expiration | undefined })[] = [];
    for (const entry of catalog.peers()) {
      if (entry.peerId.equals(local) || !entry.hasStream(this.#def.id)) continue;
      const key = entry.peerId.toString();
      if (this.#ended.get(key) === this.#ctx.discovery.catalogWatch.version) continue;
      this.#ended.delete(key);
      const rtt = discovery.rtt.get(entry.peerId);
      const estimate =
        rtt === undefined && prefer !== 'all' ? discovery.estimateRtt(entry.peerId) : undefined;
      if (rtt === undefined && !this.#active.has(key) && needsProbe(prefer, estimate)) {
        this.#probe(entry);
        continue;
      }
      const expiration = this.#admits(entry, rtt);
      if (expiration === false) continue;
      eligible.push({ entry, rtt, estimate, expiration });
    }
    const me = discovery.me().entry;
    const wanted = selectProducers(eligible, prefer, { region: me.region, location: me.location });
    const wantedKeys = new Set(wanted.map((e) => e.entry.peerId.toString()));
    for (const [key, active] of [...this.#active]) {
      if (!wantedKeys.has(key)) this.#detach(key, active);
    }
    for (const e of wanted) {
      if (!this.#active.has(e.entry.peerId.toString())) this.#attach(e.entry, e.expiration);
    }
  }

  /** `require` and tickets against the producer's current entry; `false` when not eligible. */
  #admits(entry: PeerEntry, rtt: number | undefined): Expiration | undefined | false {
    const info = new PeerInfo(entry, rtt);
    for (const p of this.#options.require) {
      try {
        if (!p(info)) return false;
      } catch {
        return false;
      }
    }
    try {
      return entry.validateTickets(this.#options.requireTicket);
    } catch {
      return false;
    }
  }

  /**
   * No RTT yet: ping first, since `maxRtt` and RTT-based choices need a measurement; a successful
   * ping re-runs the scan.
   */
  #probe(entry: PeerEntry): void {
    const key = entry.peerId.toString();
    if (this.#probing.has(key)) return;
    this.#probing.add(key);
    this.#ctx.node.addressBook.observe(addrOf(entry));
    const probe = this.#ctx.discovery.ping(entry.peerId).then(
      () => {
        this.#probing.delete(key);
        this.onCatalog(this.#ctx.discovery.catalog());
      },
      (error: unknown) => {
        this.#probing.delete(key);
        this.#ctx.log.debug({ peer: entry.peerId.short(), err: errorText(error) }, 'producer probe failed');
      },
    );
    background(this.#ctx.log, 'producer probe', probe);
  }

  #attach(entry: PeerEntry, expiration: Expiration | undefined): void {
    const key = entry.peerId.toString();
    const channel = new ChannelInfo(this.#def.id, entry.peerId, this.#ctx.node.peerId, entry, () =>
      this.#channels.changed(),
    );
    const receiver = new Receiver<T>(
      this.#ctx,
      this.#def,
      channel,
      entry,
      { ...this.#ctx.config.backoff, ...this.#options.backoff },
      this.#metrics,
      (datum, bytes) => this.#queue.push(datum, bytes),
    );
    const cancelExpiry =
      expiration === undefined
        ? () => {}
        : scheduleExpiry(
            expiration,
            () => {
              this.#ctx.log.debug({ producer: entry.peerId.short() }, 'producer ticket expired');
              const active = this.#active.get(key);
              if (active?.receiver === receiver) this.#detach(key, active);
            },
            { signal: receiver.signal },
          );
    const active: Active<T> = { receiver, cancelExpiry };
    this.#active.set(key, active);
    this.#channels.add(key, channel);
    this.#metrics.receiversActive.inc();
    this.#metrics.consumerProducers.set(this.#active.size);
    background(
      this.#ctx.log,
      'receiver',
      receiver.run().finally(() => {
        if (this.#active.get(key) !== active) return;
        this.#ended.set(key, this.#ctx.discovery.catalogWatch.version);
        this.#detach(key, active);
      }),
    );
  }

  #detach(key: string, active: Active<T>): void {
    if (this.#active.get(key) !== active) return;
    this.#active.delete(key);
    active.cancelExpiry();
    active.receiver.cancel();
    active.receiver.channel.setState('terminated');
    active.receiver.channel.stats.clear();
    this.#channels.delete(key);
    this.#metrics.receiversActive.dec();
    this.#metrics.consumerProducers.set(this.#active.size);
  }

  /** Detaches every producer and ends iteration once the queue is drained. */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.#abort.abort();
    clearInterval(this.#rerank);
    this.#unsubscribe();
    for (const [key, active] of [...this.#active]) this.#detach(key, active);
    this.#queue.close();
    this.#channels.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
