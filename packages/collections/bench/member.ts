/**
 * One node of the collections benchmark, in its own process, driven over IPC by
 * `collections.bench.ts`. It opens the benchmark Map as a writer or a reader and runs what it is
 * asked: put loops, bulk fills, watch-latency probes, catch-up timing.
 */
import { Discovery } from '@mosaik/discovery';
import { PeerId } from '@mosaik/id';
import { Groups, storage } from '@mosaik/rsm';
import { LocalNode } from '@mosaik/transport';
import { closedLoop, quantile } from '../../../tooling/bench/load.mjs';
import { codecs, defineCollection, type MapReader, type MapWriter } from '../src/index.js';

process.env.RUST_LIB_BACKTRACE ??= '0';

export interface MemberConfig {
  readonly network: string;
  readonly dir: string;
  readonly heartbeatMs: number;
  readonly electionMs: number;
  readonly snapshotThreshold: number;
  readonly store: string;
  /** MemoryStorage instead of FileStorage (also with `BENCH_STORAGE=memory`). */
  readonly memory?: boolean;
}

export interface WireAddr {
  readonly id: string;
  readonly directAddresses: string[];
}

export type ToMember =
  | { t: 'open'; addrs: WireAddr[]; role: 'writer' | 'reader' }
  | { t: 'status' }
  | { t: 'run'; clients: number; ms: number; warmupMs: number }
  | { t: 'fill'; entries: number; batch: number }
  | { t: 'stamp'; count: number; intervalMs: number }
  | { t: 'watch' }
  | { t: 'watched' }
  | { t: 'reach'; version: number; size: number }
  | { t: 'exit' };

export type FromMember =
  | { t: 'ready'; addr: WireAddr }
  | { t: 'opened'; at: number }
  | { t: 'status'; leader: boolean; voters: number }
  | { t: 'result'; count: number; ms: number; p50: number; p99: number; failed: number }
  | { t: 'filled'; version: number; size: number }
  | { t: 'stamped'; version: number }
  | { t: 'watching' }
  | { t: 'latencies'; p50: number; p99: number; count: number }
  | { t: 'reached'; at: number; size: number };

const bytes = codecs.named<Uint8Array>({ encode: (b) => b, decode: (b) => b }, 'bytes');
const send = (m: FromMember) => process.send?.(m);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function key(i: number): Uint8Array {
  const k = new Uint8Array(16);
  new DataView(k.buffer).setFloat64(0, i);
  new DataView(k.buffer).setFloat64(8, Math.random());
  return k;
}

/** `BENCH_STALLS=<ms>`: report on stderr every event-loop stall longer than that (diagnostics). */
function reportStalls(threshold: number): void {
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    if (now - last - 20 > threshold)
      console.error(`[member ${process.pid}] event loop stalled ${Math.round(now - last - 20)} ms`);
    last = now;
  }, 20).unref();
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2]!) as MemberConfig;
  if (process.env.BENCH_STALLS !== undefined) reportStalls(Number(process.env.BENCH_STALLS));
  const Def = defineCollection.map<Uint8Array, Uint8Array>(cfg.store, {
    keyCodec: bytes,
    valueCodec: bytes,
    consensus: {
      tickInterval: Math.max(10, Math.round(cfg.heartbeatMs / 2)),
      heartbeatInterval: cfg.heartbeatMs,
      electionTimeout: cfg.electionMs,
      bootstrapDelay: 500,
      snapshotThreshold: cfg.snapshotThreshold,
      snapshotKeep: 10,
    },
  });
  const node = await LocalNode.bind(cfg.network, { preset: 'local' });
  const discovery = await Discovery.start(node, { announceIntervalMs: 600_000, rttProbeIntervalMs: 600_000 });
  const groups = new Groups(node, discovery);
  let map: MapWriter<Uint8Array, Uint8Array> | MapReader<Uint8Array, Uint8Array> | undefined;
  const writer = () => map as MapWriter<Uint8Array, Uint8Array>;
  const latencies: number[] = [];
  let watching: AbortController | undefined;
  const a = node.addr();
  send({ t: 'ready', addr: { id: a.id.toString(), directAddresses: [...a.directAddresses] } });

  const onMessage = async (m: ToMember): Promise<void> => {
    switch (m.t) {
      case 'open': {
        await Promise.all(
          m.addrs
            .filter((p) => p.id !== a.id.toString())
            .map((p) => discovery.syncWith({ id: PeerId.parse(p.id), directAddresses: p.directAddresses })),
        );
        const net = { groups };
        const memory = cfg.memory === true || process.env.BENCH_STORAGE === 'memory';
        const opts = memory ? {} : { storage: storage.file(cfg.dir) };
        map = m.role === 'writer' ? Def.writer(net, opts) : Def.reader(net, opts);
        await map.when.online();
        send({ t: 'opened', at: now() });
        return;
      }
      case 'status':
        send({
          t: 'status',
          leader: map?.group.isLeader() === true,
          voters: map?.group.members().voters.length ?? 0,
        });
        return;
      case 'run': {
        const value = new Uint8Array(100).fill(7);
        const r = await closedLoop({
          clients: m.clients,
          warmupMs: m.warmupMs,
          ms: m.ms,
          op: (_client, seq) => writer().set(key(seq), value),
          // A leader change under load: count it and go on (the write is retried as a new one).
          onError: async (error, failed) => {
            if (failed % 100 === 1) console.error('[member] write failed:', String(error));
            await sleep(10);
          },
        });
        send({ t: 'result', count: r.count, ms: r.ms, p50: r.p50, p99: r.p99, failed: r.failed });
        return;
      }
      case 'fill': {
        const value = new Uint8Array(100).fill(3);
        let version = 0;
        for (let i = 0; i < m.entries; i += m.batch) {
          const n = Math.min(m.batch, m.entries - i);
          const batch = Array.from({ length: n }, (_, j) => [key(1e9 + i + j), value] as const);
          for (;;) {
            try {
              version = await writer().extend(batch);
              break;
            } catch (error) {
              console.error('[member] fill write failed, retrying:', String(error));
              await sleep(200);
              await writer().when.online();
            }
          }
        }
        send({ t: 'filled', version, size: map!.size });
        return;
      }
      case 'stamp': {
        let version = 0;
        for (let i = 0; i < m.count; i++) {
          const v = new Uint8Array(8);
          new DataView(v.buffer).setFloat64(0, now());
          version = await writer().set(key(-1 - i), v);
          await sleep(m.intervalMs);
        }
        send({ t: 'stamped', version });
        return;
      }
      case 'watch': {
        watching = new AbortController();
        const it = map!.watch({ signal: watching.signal })[Symbol.asyncIterator]();
        await it.next(); // the snapshot
        send({ t: 'watching' });
        void (async () => {
          for (;;) {
            const e = await it.next();
            if (e.done) return;
            if (e.value.kind === 'set' && e.value.value.length === 8)
              latencies.push(
                now() - new DataView(e.value.value.buffer, e.value.value.byteOffset).getFloat64(0),
              );
          }
        })();
        return;
      }
      case 'watched': {
        watching?.abort();
        latencies.sort((x, y) => x - y);
        send({
          t: 'latencies',
          p50: quantile(latencies, 0.5),
          p99: quantile(latencies, 0.99),
          count: latencies.length,
        });
        return;
      }
      case 'reach': {
        await map!.when.reaches(m.version);
        while (map!.size < m.size) await map!.when.updated();
        send({ t: 'reached', at: now(), size: map!.size });
        return;
      }
      case 'exit':
        await map?.close();
        await groups.close();
        await discovery.close();
        await node.close();
        process.exit(0);
    }
  };
  process.on('message', (m: ToMember) => {
    onMessage(m).catch((error: unknown) => {
      console.error('[member]', error);
      process.exit(1);
    });
  });
}

main().catch((error: unknown) => {
  console.error('[member]', error);
  process.exit(1);
});
