// Transport benchmark: raw iroh-js vs Link on loopback, in the same run.
// Prints one JSON line per measurement (higher is better).
import { type EndpointAddr, fromNativeAddr } from '../src/address.js';
import { rawEndpoint, rawLoopbackAddr } from '../src/fixtures/raw-endpoint.js';
import { LocalNode } from '../src/local-node.js';
import { nativeString, toNative } from '../src/native.js';

const ALPN = '/bench/1';

function report(bench: string, unit: string, ours: number, baseline: string, baselineValue: number): void {
  const round = (n: number) => Math.round(n * 100) / 100;
  console.log(
    JSON.stringify({
      bench,
      unit,
      ours: round(ours),
      baseline,
      baselineValue: round(baselineValue),
      ratio: round(ours / baselineValue),
    }),
  );
}

/** A raw iroh-js connection pair; the server counts received bytes and answers `echo` reads. */
async function rawPair(mode: 'count' | 'echo') {
  const server = await rawEndpoint(ALPN);
  const client = await rawEndpoint(ALPN);
  let received = 0;
  const serving = (async () => {
    const incoming = await server.acceptNext();
    const conn = await (await incoming!.accept()).connect();
    const bi = await conn.acceptBi();
    for (;;) {
      const chunk = await bi.recv.read(65536).catch(() => [] as number[]);
      if (chunk.length === 0) return;
      received += chunk.length;
      if (mode === 'echo') await bi.send.writeAll(chunk);
    }
  })();
  const addr = rawLoopbackAddr(server);
  const conn = await client.connect(addr, nativeString(ALPN));
  const bi = await conn.openBi();
  return {
    bi,
    received: () => received,
    async close() {
      await bi.send.finish().catch(() => {});
      await serving;
      await client.close();
      await server.close();
    },
  };
}

async function linkPair(mode: 'count' | 'echo') {
  const server = await LocalNode.bind('bench', { preset: 'local' });
  const client = await LocalNode.bind('bench', { preset: 'local' });
  let received = 0;
  server.handle<Uint8Array>(ALPN, async (link) => {
    for (;;) {
      const payload = await link.recvRaw().catch(() => undefined);
      if (!payload) return;
      received += payload.length;
      if (mode === 'echo') await link.sendRaw(payload);
    }
  });
  const link = await client.connect<Uint8Array>(server.addr(), ALPN);
  return {
    link,
    received: () => received,
    async close() {
      await link.close();
      await client.close();
      await server.close();
    },
  };
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((r) => setImmediate(r));
}

/**
 * Sends `count` payloads, waiting for every `window`-th send to be written: the
 * pattern of a producer that pipelines and still honours backpressure.
 */
async function pipelined(count: number, window: number, send: () => Promise<void>): Promise<void> {
  let last: Promise<void> = Promise.resolve();
  for (let i = 1; i <= count; i++) {
    last = send();
    if (i % window === 0) await last;
  }
  await last;
}

async function smallMessages(): Promise<void> {
  const payload = new Uint8Array(100).fill(1);
  const raw = await rawPair('count');
  const rawCount = 20_000;
  let start = performance.now();
  const native = toNative(payload);
  for (let i = 0; i < rawCount; i++) await raw.bi.send.writeAll(native);
  await until(() => raw.received() >= rawCount * 100);
  const rawRate = rawCount / ((performance.now() - start) / 1000);
  await raw.close();

  const link = await linkPair('count');
  const linkCount = 200_000;
  start = performance.now();
  await pipelined(linkCount, 1024, () => link.link.sendRaw(payload));
  await until(() => link.received() >= linkCount * 100);
  const linkRate = linkCount / ((performance.now() - start) / 1000);
  await link.close();
  report('transport-100B-messages', 'msg/s', linkRate, 'iroh-js awaited 100 B writes', rawRate);
}

/**
 * Bulk throughput, raw and Link alternately for `BULK_ROUNDS` rounds (default 5), reporting each
 * side's median: one round of each was at the mercy of whatever else the machine did meanwhile
 * (ratios from 0.8 to 1.1 on the same code).
 */
async function bulk(): Promise<void> {
  const chunk = new Uint8Array(64 * 1024).fill(7);
  const total = 32 * 1024 * 1024;
  const count = total / chunk.length;
  const rounds = Number(process.env.BULK_ROUNDS ?? 5);
  const rawRates: number[] = [];
  const linkRates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const raw = await rawPair('count');
    let start = performance.now();
    for (let i = 0; i < count; i++) await raw.bi.send.writeAll(toNative(chunk));
    await until(() => raw.received() >= total);
    rawRates.push(total / 1e6 / ((performance.now() - start) / 1000));
    await raw.close();

    const link = await linkPair('count');
    start = performance.now();
    await pipelined(count, 2, () => link.link.sendRaw(chunk));
    await until(() => link.received() >= total);
    linkRates.push(total / 1e6 / ((performance.now() - start) / 1000));
    await link.close();
  }
  const fixed = (rates: number[]) => rates.map((r) => r.toFixed(2)).join(' ');
  console.error(`bulk MB/s by round: raw ${fixed(rawRates)}; link ${fixed(linkRates)}`);
  report('transport-64KiB-bulk', 'MB/s', median(linkRates), 'iroh-js 64 KiB writes', median(rawRates));
}

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function requestResponse(): Promise<void> {
  const rounds = 2_000;
  const payload = new Uint8Array(64).fill(3);
  const raw = await rawPair('echo');
  const rawSamples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await raw.bi.send.writeAll(toNative(payload));
    let got = 0;
    while (got < 64) got += (await raw.bi.recv.read(65536)).length;
    rawSamples.push(performance.now() - start);
  }
  await raw.close();

  const link = await linkPair('echo');
  const linkSamples: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    await link.link.sendRaw(payload);
    await link.link.recvRaw();
    linkSamples.push(performance.now() - start);
  }
  await link.close();
  // Latency: report requests per second at the median (1 / p50) so that higher is better.
  report(
    'transport-64B-request-response',
    '1/p50 (req/s)',
    1000 / median(linkSamples),
    'iroh-js raw',
    1000 / median(rawSamples),
  );
}

/**
 * Dials that arrive together at one endpoint while the event loop is busy (turns of `turnMs`,
 * as in a process that runs dozens of nodes): LocalNode (several accepts pending) against a raw
 * endpoint that pulls one incoming connection at a time. Reported as dials accepted per second.
 */
async function acceptBurst(): Promise<void> {
  const dialers = 10;
  const perDialer = 6;
  const turnMs = 200;
  let busy = true;
  const spin = () => {
    if (!busy) return;
    const until = performance.now() + turnMs;
    while (performance.now() < until) {}
    setTimeout(spin, 0);
  };
  const clients = await Promise.all(
    Array.from({ length: dialers }, () => LocalNode.bind('bench', { preset: 'local' })),
  );
  const burst = async (target: EndpointAddr) => {
    const started = performance.now();
    busy = true;
    spin();
    await Promise.all(
      clients.flatMap((c) =>
        Array.from({ length: perDialer }, async () => {
          const conn = await c.connect<Uint8Array>(target, ALPN, { timeout: 60_000 });
          await conn.close();
        }),
      ),
    );
    busy = false;
    return (dialers * perDialer) / ((performance.now() - started) / 1000);
  };

  const raw = await rawEndpoint(ALPN);
  const rawServing = (async () => {
    for (;;) {
      const incoming = await raw.acceptNext();
      if (!incoming) return;
      void (async () => {
        const conn = await (await incoming.accept()).connect();
        await conn.acceptBi();
      })().catch(() => {});
    }
  })();
  const rawAddr = rawLoopbackAddr(raw);
  const rawRate = await burst(fromNativeAddr(rawAddr));
  await raw.close();
  await rawServing;

  const server = await LocalNode.bind('bench', { preset: 'local' });
  server.handle<Uint8Array>(ALPN, async (link) => {
    await link.closed();
  });
  const ours = await burst(server.addr());
  await server.close();
  await Promise.all(clients.map((c) => c.close()));
  report('transport-accept-burst-busy-loop', 'dials/s', ours, 'one accept at a time', rawRate);
}

await smallMessages();
await bulk();
await requestResponse();
await acceptBurst();
