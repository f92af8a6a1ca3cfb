/**
 * One benchmark process: the producer or one consumer of one system (`streams`, raw iroh-js
 * or NATS), driven by the orchestrator (`throughput.bench.ts`) over the IPC channel.
 *
 * Each side runs in its own process because the iroh-js binding converts every byte on the JS
 * thread: sharing one thread between producer and consumer would halve what users get.
 *
 * Messages (orchestrator → peer): `run {mode, ms, rate}` (producer), `reset` / `report`
 * (consumer), `exit`. Peer → orchestrator: `ready {addr?}`, `done {sent, startAt}`,
 * `report {count, lastAt, p50, p99}`.
 */
import { createRequire } from 'node:module';
import { Discovery } from '@mosaik/discovery';
import { id, PeerId } from '@mosaik/id';
import { LocalNode } from '@mosaik/transport';
import type { Endpoint as NativeEndpointType, SendStream as NativeSendStream } from '@number0/iroh';
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
  /** Consumers the producer waits for. */
  readonly consumers: number;
  /** Producer address (consumers of `streams` and `raw`). */
  readonly addr?: { id: string; directAddresses: string[] };
  readonly natsUrl?: string;
}

export type ToPeer =
  | { t: 'run'; mode: 'max' | 'rate'; ms: number; rate: number }
  | { t: 'reset' }
  | { t: 'report'; expect: number }
  | { t: 'exit' };

export type FromPeer =
  | { t: 'ready'; addr?: { id: string; directAddresses: string[] } }
  | { t: 'done'; sent: number; startAt: number }
  | { t: 'report'; count: number; lastAt: number; p50: number; p99: number };

/** Datum size; the first 8 bytes carry the send time (wall-clock ms, float64). */
export const DATUM_BYTES = 100;
const RAW_ALPN = '/bench/streams-raw/1';

const now = () => performance.timeOrigin + performance.now();
const send = (m: FromPeer) => process.send?.(m);
const tick = () => new Promise<void>((r) => setImmediate(r));
const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const Bytes = defineStream<Uint8Array>('bench-bytes', {
  codec: { encode: (b) => b, decode: (b) => b },
  producer: { bufferSize: 4096 },
});

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
  }

  report(): FromPeer {
    const s = this.#lat.sort((a, b) => a - b);
    const q = (p: number) =>
      s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor(s.length * p))]!;
    return { t: 'report', count: this.count, lastAt: this.lastAt, p50: q(0.5), p99: q(0.99) };
  }
}

/** Sends `one()` as fast as it allows for `ms`, or paced at `rate`/s (timer ticks of ~1 ms). */
async function drive(
  mode: 'max' | 'rate',
  ms: number,
  rate: number,
  one: () => Promise<void> | void,
  yieldEvery: () => Promise<void> = tick,
): Promise<{ sent: number; startAt: number }> {
  const startAt = now();
  const start = performance.now();
  let sent = 0;
  if (mode === 'max') {
    while (performance.now() - start < ms) {
      for (let i = 0; i < 256; i++) {
        await one();
        sent++;
      }
      await yieldEvery();
    }
  } else {
    while (performance.now() - start < ms) {
      const due = Math.floor(((performance.now() - start) / 1000) * rate);
      while (sent < due) {
        await one();
        sent++;
      }
      await sleepMs(1);
    }
  }
  return { sent, startAt };
}

interface Running {
  run?(mode: 'max' | 'rate', ms: number, rate: number): Promise<{ sent: number; startAt: number }>;
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
  const producer = n.streams.produce(Bytes);
  const a = n.node.addr();
  send({ t: 'ready', addr: { id: a.id.toString(), directAddresses: [...a.directAddresses] } });
  return {
    async run(mode, ms, rate) {
      await producer.when.subscribed({ atLeast: cfg.consumers }).wait(AbortSignal.timeout(30_000));
      return drive(mode, ms, rate, () => producer.send(stamped()));
    },
    close: () => n.close(),
  };
}

async function streamsConsumer(cfg: PeerConfig, tally: Tally): Promise<Running> {
  const n = await streamsNode(cfg.network);
  await n.discovery.syncWith({ id: PeerId.parse(cfg.addr!.id), directAddresses: cfg.addr!.directAddresses });
  const consumer = n.streams.consume(Bytes);
  const reading = (async () => {
    for await (const d of consumer) tally.record(new DataView(d.buffer, d.byteOffset, 8).getFloat64(0, true));
  })();
  send({ t: 'ready' });
  return {
    async close() {
      await consumer.close();
      await reading;
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
  send({
    t: 'ready',
    addr: { id: hex, directAddresses: ep.boundSockets().filter((s) => s.startsWith('127.')) },
  });
  return {
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
  send({ t: 'ready' });
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
  send({ t: 'ready' });
  let sinceFlush = 0;
  return {
    async run(mode, ms, rate) {
      const result = await drive(
        mode,
        ms,
        rate,
        () => nc.publish('bench', stamped()),
        // publish() only buffers: a flush (PING/PONG) is the backpressure and the yield.
        async () => {
          sinceFlush += 256;
          if (sinceFlush >= 16_384) {
            sinceFlush = 0;
            await nc.flush();
          } else await tick();
        },
      );
      await nc.flush();
      return result;
    },
    close: () => nc.close(),
  };
}

async function natsConsumer(cfg: PeerConfig, tally: Tally): Promise<Running> {
  const { connect } = await import('nats');
  const nc = await connect({ servers: cfg.natsUrl! });
  nc.subscribe('bench', {
    callback: (_err, msg) =>
      tally.record(new DataView(msg.data.buffer, msg.data.byteOffset, 8).getFloat64(0, true)),
  });
  await nc.flush();
  send({ t: 'ready' });
  return { close: () => nc.close() };
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2]!) as PeerConfig;
  const tally = new Tally();
  const makers = {
    streams: [streamsProducer, streamsConsumer],
    raw: [rawProducer, rawConsumer],
    nats: [natsProducer, natsConsumer],
  } as const;
  const [makeProducer, makeConsumer] = makers[cfg.system];
  const peer = cfg.role === 'producer' ? await makeProducer(cfg) : await makeConsumer(cfg, tally);
  process.on('message', (m: ToPeer) => {
    void (async () => {
      if (m.t === 'run' && peer.run) send({ t: 'done', ...(await peer.run(m.mode, m.ms, m.rate)) });
      else if (m.t === 'reset') {
        tally.reset();
      } else if (m.t === 'report') {
        // Wait for the expected count, or until nothing arrived for 500 ms (drops, disconnects).
        let seen = -1;
        while (tally.count < m.expect && tally.count !== seen) {
          seen = tally.count;
          await sleepMs(500);
        }
        send(tally.report());
      } else if (m.t === 'exit') {
        await peer.close();
        process.disconnect();
      }
    })().catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
  });
}

await main();
