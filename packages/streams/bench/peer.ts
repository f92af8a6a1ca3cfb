/**
 * One benchmark process: the producer or one consumer of one system (`streams`, raw iroh-js
 * or NATS), driven by the orchestrator (`throughput.bench.ts`) over the IPC channel.
 *
 * Each side runs in its own process because the iroh-js binding converts every byte on the JS
 * thread: sharing one thread between producer and consumer would halve what users get.
 *
 * Messages (orchestrator → peer): `run {mode, ms, rate}` (producer), `reset` / `report`
 * (consumer), `catalog`, `exit`. Peer → orchestrator: `ready {addr?}`, `done {sent, startAt,
 * cpuMs}`, `report {count, lastAt, p50, p99, cpuMs}`, `catalog {min}` (the smallest discovery
 * catalog among the process's nodes).
 *
 * Modes: `max` (as fast as allowed), `rate` (paced, `rate`/s in all) and `idle` (`streams`
 * streams/subjects, each getting one datum a second: what an idle stream costs).
 *
 * `BENCH_PHASE_PROF=<dir>`: a CPU profile of each measured phase only (not of start-up), one file
 * per process and phase.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Discovery } from '@mosaik/discovery';
import { id, PeerId } from '@mosaik/id';
import { LocalNode } from '@mosaik/transport';
import type { Endpoint as NativeEndpointType, SendStream as NativeSendStream } from '@number0/iroh';
import { saveProfile, startProfile } from '../../../tooling/bench/profile.mjs';
import { syncWithAnySeed } from '../../../tooling/bench/seeds.mjs';
import { defineStream, Streams } from '../src/index.js';

process.env.RUST_LIB_BACKTRACE ??= '0';

// The raw baseline talks to the binding as its users do, with no help from @mosaik/transport.
// Its package `main` points to a missing file, so load index.js directly.
const iroh: typeof import('@number0/iroh') = createRequire(import.meta.url)('@number0/iroh/index.js');
const { Endpoint: NativeEndpoint, EndpointAddr: NativeEndpointAddr, EndpointId: NativeEndpointId } = iroh;
const { RelayMode: NativeRelayMode, presetMinimal } = iroh;

/** The binding takes bytes as `number[]`. */
function toNative(bytes: Uint8Array): number[] {
  const out = new Array<number>(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]!;
  return out;
}

const nativeString = (text: string): number[] => toNative(new TextEncoder().encode(text));

export interface PeerConfig {
  readonly system: 'streams' | 'raw' | 'nats';
  readonly role: 'producer' | 'consumer';
  readonly network: string;
  /** Consumers the producer waits for (in all processes). */
  readonly consumers: number;
  /** Producer address (consumers of `streams` and `raw`). */
  readonly addr?: { id: string; directAddresses: string[] };
  readonly natsUrl?: string;
  /** Streams (NATS subjects) produced and consumed; default 1. */
  readonly streams?: number;
  /** NATS publisher: flush (one PING/PONG round trip) every this many messages in `max` mode. */
  readonly natsFlushEvery?: number;
  /** Consumers hosted by this consumer process, each a whole node (NATS: a connection); default 1. */
  readonly nodes?: number;
}

export type Mode = 'max' | 'rate' | 'idle';

export type ToPeer =
  | { t: 'run'; mode: Mode; ms: number; rate: number }
  | { t: 'reset' }
  | { t: 'report'; expect: number }
  | { t: 'catalog' }
  | { t: 'exit' };

export type FromPeer =
  | { t: 'ready'; addr?: { id: string; directAddresses: string[] } }
  | { t: 'done'; sent: number; startAt: number; cpuMs: number }
  | { t: 'report'; count: number; lastAt: number; p50: number; p99: number; cpuMs: number }
  | { t: 'catalog'; min?: number };

/** Datum size; the first 8 bytes carry the send time (wall-clock ms, float64). */
export const DATUM_BYTES = 100;
const RAW_ALPN = '/bench/streams-raw/1';

const now = () => performance.timeOrigin + performance.now();
const send = (m: FromPeer) => process.send?.(m);
const tick = () => new Promise<void>((r) => setImmediate(r));
const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const bytesStream = (name: string) =>
  defineStream<Uint8Array>(name, {
    codec: { encode: (b) => b, decode: (b) => b },
    producer: { bufferSize: 4096 },
  });
/** The benchmark's streams: `bench-bytes` alone, or `bench-bytes-0…n-1`. */
const streamDefs = (n = 1) =>
  n === 1
    ? [bytesStream('bench-bytes')]
    : Array.from({ length: n }, (_, i) => bytesStream(`bench-bytes-${i}`));
const natsSubjects = (n = 1) => (n === 1 ? ['bench'] : Array.from({ length: n }, (_, i) => `bench.${i}`));

/** CPU time (user + system) of this process in ms. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** CPU profiles of measured phases only (`BENCH_PHASE_PROF`). */
class PhaseProfiler {
  readonly #dir = process.env.BENCH_PHASE_PROF;
  #stop: (() => Promise<object>) | undefined;
  #phase = 0;

  async start(): Promise<void> {
    if (this.#dir) this.#stop = await startProfile();
  }

  async stop(label: string): Promise<void> {
    if (!this.#dir || !this.#stop) return;
    const profile = await this.#stop();
    this.#stop = undefined;
    saveProfile(join(this.#dir, `${label}-${process.pid}-${this.#phase++}.cpuprofile`), profile);
  }
}
const profiler = new PhaseProfiler();

/** A fresh datum stamped with the current time. */
function stamped(): Uint8Array {
  const d = new Uint8Array(DATUM_BYTES);
  new DataView(d.buffer).setFloat64(0, now(), true);
  return d;
}

/** Counts datums and their one-way latency (same machine: wall clocks agree). */
class Tally {
  count = 0;
  lastAt = 0;
  #lat: number[] = [];
  #cpuAt = cpuMs();

  record(sentAt: number): void {
    const t = now();
    this.count++;
    this.lastAt = t;
    this.#lat.push(t - sentAt);
  }

  reset(): void {
    this.count = 0;
    this.lastAt = 0;
    this.#lat = [];
    this.#cpuAt = cpuMs();
  }

  /** What the consumers `tallies` (of one process) received: the fewest datums, every latency. */
  static report(tallies: readonly Tally[]): FromPeer {
    const s = tallies.flatMap((t) => t.#lat).sort((a, b) => a - b);
    const q = (p: number) =>
      s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor(s.length * p))]!;
    return {
      t: 'report',
      count: Math.min(...tallies.map((t) => t.count)),
      lastAt: Math.max(...tallies.map((t) => t.lastAt)),
      p50: q(0.5),
      p99: q(0.99),
      cpuMs: cpuMs() - Math.min(...tallies.map((t) => t.#cpuAt)),
    };
  }
}

type Sent = { sent: number; startAt: number; cpuMs: number };

/**
 * Sends `one(i)` as fast as it allows for `ms`, paced at `rate`/s in all (timer ticks of ~1 ms),
 * or in `idle` mode one datum a second on each of `streams` streams (`one(i)` sends on stream
 * `i % streams`), spread evenly over the second.
 */
async function drive(
  mode: Mode,
  ms: number,
  rate: number,
  one: (i: number) => Promise<void> | void,
  yieldEvery: () => Promise<void> = tick,
  streams = 1,
): Promise<Sent> {
  const cpuAt = cpuMs();
  const { sent, startAt } = await driveOnly(mode, ms, mode === 'idle' ? streams : rate, one, yieldEvery);
  return { sent, startAt, cpuMs: cpuMs() - cpuAt };
}

async function driveOnly(
  mode: Mode,
  ms: number,
  rate: number,
  one: (i: number) => Promise<void> | void,
  yieldEvery: () => Promise<void>,
): Promise<{ sent: number; startAt: number }> {
  const startAt = now();
  const start = performance.now();
  let sent = 0;
  if (mode === 'idle') {
    // One datum every 1/rate s, round-robin over the streams: each stream gets one a second.
    while (performance.now() - start < ms) {
      await one(sent);
      sent++;
      const next = (sent * 1000) / rate - (performance.now() - start);
      if (next > 0) await sleepMs(next);
    }
  } else if (mode === 'max') {
    while (performance.now() - start < ms) {
      for (let i = 0; i < 256; i++) {
        await one(sent);
        sent++;
      }
      await yieldEvery();
    }
  } else {
    while (performance.now() - start < ms) {
      const due = Math.floor(((performance.now() - start) / 1000) * rate);
      while (sent < due) {
        await one(sent);
        sent++;
      }
      await sleepMs(1);
    }
  }
  return { sent, startAt };
}

interface Running {
  /** The producer's address, for consumers that dial it. */
  readonly addr?: { id: string; directAddresses: string[] };
  run?(mode: Mode, ms: number, rate: number): Promise<Sent>;
  /** Peers in this node's discovery catalog (`streams` nodes only). */
  catalogSize?(): number;
  close(): Promise<void>;
}

async function streamsNode(network: string) {
  const node = await LocalNode.bind(id(network), { preset: 'local' });
  const discovery = await Discovery.start(node, {
    announceIntervalMs: 600_000,
    rttProbeIntervalMs: 600_000,
    gracefulDepartureWindowMs: 50,
  });
  const streams = new Streams(node, discovery);
  return {
    node,
    discovery,
    streams,
    async close() {
      await streams.close();
      await discovery.close();
      await node.close();
    },
  };
}

async function streamsProducer(cfg: PeerConfig): Promise<Running> {
  const n = await streamsNode(cfg.network);
  const producers = streamDefs(cfg.streams).map((def) => n.streams.produce(def));
  const a = n.node.addr();
  return {
    addr: { id: a.id.toString(), directAddresses: [...a.directAddresses] },
    catalogSize: () => n.discovery.catalog().signedPeersCount(),
    async run(mode, ms, rate) {
      for (const p of producers)
        await p.when.subscribed({ atLeast: cfg.consumers }).wait(AbortSignal.timeout(60_000));
      const k = producers.length;
      return drive(mode, ms, rate, (i) => producers[i % k]!.send(stamped()), tick, k);
    },
    close: () => n.close(),
  };
}

async function streamsConsumer(cfg: PeerConfig, tally: Tally): Promise<Running> {
  const n = await streamsNode(cfg.network);
  const producerAddr = { id: PeerId.parse(cfg.addr!.id), directAddresses: cfg.addr!.directAddresses };
  await syncWithAnySeed(n.discovery, [producerAddr]);
  const consumers = streamDefs(cfg.streams).map((def) => n.streams.consume(def));
  const reading = consumers.map(async (consumer) => {
    for await (const d of consumer) tally.record(new DataView(d.buffer, d.byteOffset, 8).getFloat64(0, true));
  });
  return {
    catalogSize: () => n.discovery.catalog().signedPeersCount(),
    async close() {
      await Promise.all(consumers.map((c) => c.close()));
      await Promise.all(reading);
      await n.close();
    },
  };
}

async function rawEndpoint(): Promise<NativeEndpointType> {
  const builder = NativeEndpoint.builder();
  presetMinimal(builder);
  builder.relayMode(NativeRelayMode.disabled());
  builder.bindAddr('127.0.0.1:0');
  builder.alpns([nativeString(RAW_ALPN)]);
  return builder.bind();
}

/** Raw iroh-js: accepts one bi stream per consumer, then one awaited `writeAll` per datum each. */
async function rawProducer(cfg: PeerConfig): Promise<Running> {
  const ep = await rawEndpoint();
  const hex = Buffer.from(ep.id().toBytes()).toString('hex');
  const sends: NativeSendStream[] = [];
  const accepting = (async () => {
    while (sends.length < cfg.consumers) {
      const incoming = await ep.acceptNext();
      if (!incoming) return;
      const conn = await (await incoming.accept()).connect();
      const bi = await conn.acceptBi();
      await bi.recv.read(1); // the consumer's hello makes the stream visible
      sends.push(bi.send);
    }
  })();
  return {
    addr: { id: hex, directAddresses: ep.boundSockets().filter((s) => s.startsWith('127.')) },
    async run(mode, ms, rate) {
      await accepting;
      return drive(mode, ms, rate, async () => {
        const native = toNative(stamped());
        if (sends.length === 1) await sends[0]!.writeAll(native);
        else await Promise.all(sends.map((s) => s.writeAll(native)));
      });
    },
    async close() {
      await Promise.allSettled(sends.map((s) => s.finish()));
      await ep.close();
    },
  };
}

async function rawConsumer(cfg: PeerConfig, tally: Tally): Promise<Running> {
  const ep = await rawEndpoint();
  const pid = NativeEndpointId.fromBytes(toNative(Buffer.from(cfg.addr!.id, 'hex')));
  const conn = await ep.connect(
    new NativeEndpointAddr(pid, null, cfg.addr!.directAddresses),
    nativeString(RAW_ALPN),
  );
  const bi = await conn.openBi();
  await bi.send.writeAll([1]);
  const reading = (async () => {
    let pending = new Uint8Array(0);
    for (;;) {
      const chunk = await bi.recv.read(65536).catch(() => [] as number[]);
      if (chunk.length === 0) return;
      const bytes = new Uint8Array(pending.length + chunk.length);
      bytes.set(pending);
      for (let i = 0; i < chunk.length; i++) bytes[pending.length + i] = chunk[i]!;
      const view = new DataView(bytes.buffer);
      let at = 0;
      for (; at + DATUM_BYTES <= bytes.length; at += DATUM_BYTES) tally.record(view.getFloat64(at, true));
      pending = bytes.subarray(at);
    }
  })();
  return {
    async close() {
      await ep.close();
      await reading;
    },
  };
}

async function natsProducer(cfg: PeerConfig): Promise<Running> {
  const { connect } = await import('nats');
  const nc = await connect({ servers: cfg.natsUrl! });
  const subjects = natsSubjects(cfg.streams);
  const flushEvery = cfg.natsFlushEvery ?? 1000;
  return {
    async run(mode, ms, rate) {
      const k = subjects.length;
      if (mode === 'max') {
        // As `nats bench` drives a publisher: publish in a tight loop and flush (one PING/PONG
        // round trip, which is the backpressure) every `flushEvery` messages.
        const cpuAt = cpuMs();
        const startAt = now();
        const start = performance.now();
        let sent = 0;
        while (performance.now() - start < ms) {
          for (let i = 0; i < flushEvery; i++) nc.publish(subjects[sent++ % k]!, stamped());
          await nc.flush();
        }
        return { sent, startAt, cpuMs: cpuMs() - cpuAt };
      }
      const result = await drive(mode, ms, rate, (i) => nc.publish(subjects[i % k]!, stamped()), tick, k);
      await nc.flush();
      return result;
    },
    close: () => nc.close(),
  };
}

async function natsConsumer(cfg: PeerConfig, tally: Tally): Promise<Running> {
  const { connect } = await import('nats');
  const nc = await connect({ servers: cfg.natsUrl! });
  for (const subject of natsSubjects(cfg.streams))
    nc.subscribe(subject, {
      callback: (_err, msg) =>
        tally.record(new DataView(msg.data.buffer, msg.data.byteOffset, 8).getFloat64(0, true)),
    });
  await nc.flush();
  return { close: () => nc.close() };
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2]!) as PeerConfig;
  const makers = {
    streams: [streamsProducer, streamsConsumer],
    raw: [rawProducer, rawConsumer],
    nats: [natsProducer, natsConsumer],
  } as const;
  const [makeProducer, makeConsumer] = makers[cfg.system];
  const tallies = Array.from({ length: cfg.role === 'consumer' ? (cfg.nodes ?? 1) : 0 }, () => new Tally());
  const peers: Running[] = [];
  if (cfg.role === 'producer') peers.push(await makeProducer(cfg));
  // One at a time: many nodes starting at once on two busy cores time out their first syncs.
  for (const tally of tallies) peers.push(await makeConsumer(cfg, tally));
  const producer = peers[0]!;
  send({ t: 'ready', ...(producer.addr ? { addr: producer.addr } : {}) });
  process.on('message', (m: ToPeer) => {
    void (async () => {
      if (m.t === 'run' && producer.run) {
        await profiler.start();
        const result = await producer.run(m.mode, m.ms, m.rate);
        await profiler.stop(`${cfg.system}-producer-${m.mode}`);
        send({ t: 'done', ...result });
      } else if (m.t === 'reset') {
        for (const t of tallies) t.reset();
        await profiler.start();
      } else if (m.t === 'report') {
        // Wait for the expected count, or until nothing arrived for 500 ms (drops, disconnects).
        const received = () => tallies.reduce((sum, t) => sum + t.count, 0);
        let seen = -1;
        while (tallies.some((t) => t.count < m.expect) && received() !== seen) {
          seen = received();
          await sleepMs(500);
        }
        await profiler.stop(`${cfg.system}-consumer`);
        send(Tally.report(tallies));
      } else if (m.t === 'catalog') {
        // The smallest catalog of this process's nodes (none without discovery: NATS, raw).
        const sizes = peers.flatMap((p) => (p.catalogSize ? [p.catalogSize()] : []));
        send(sizes.length === 0 ? { t: 'catalog' } : { t: 'catalog', min: Math.min(...sizes) });
      } else if (m.t === 'exit') {
        for (const p of peers) await p.close();
        process.disconnect();
      }
    })().catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
}

await main();
