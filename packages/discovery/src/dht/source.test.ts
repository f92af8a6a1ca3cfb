import { id, type PeerId, SecretKey, waitFor } from '@mosaik/id';
import { createLogger } from '@mosaik/metrics';
import type { EndpointAddr } from '@mosaik/transport';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DhtClient } from './client.js';
import { LocalDht } from './local.js';
import { decodeSlotRecord } from './record.js';
import { nowMicros, scanChain } from './scan.js';
import { slotChain } from './slots.js';
import { DhtAddressSource, type DhtSourceOptions } from './source.js';
import type { PingFunction } from './types.js';

// A fresh local DHT per test: nodes stopped by one test would otherwise slow the next one's
// lookups (each waits for the dead node's timeout).
let dht: LocalDht;
beforeEach(async () => {
  dht = await LocalDht.start({ nodes: 6, requestTimeoutMs: 200 });
});

/** One source under test: its key, address, what its sink received, and a stop switch. */
interface Running {
  readonly key: SecretKey;
  addr: EndpointAddr;
  readonly learned: Map<string, EndpointAddr>;
  readonly source: DhtAddressSource;
  readonly stop: () => Promise<void>;
}

const running = new Set<Running>();
const alive = new Set<string>();
afterEach(async () => {
  await Promise.all([...running].map((r) => r.stop()));
  running.clear();
  alive.clear();
  await dht.close();
});

/** A ping that succeeds for running sources only, like a real ping to a dead node fails. */
const ping: PingFunction = async (addr) => {
  if (!alive.has(addr.id.toString())) throw new Error('connection refused');
  return { uptimeMs: 1000 };
};

let port = 40_000;
function start(network: string, overrides: Partial<DhtSourceOptions> = {}): Running {
  const key = SecretKey.generate();
  const learned = new Map<string, EndpointAddr>();
  const controller = new AbortController();
  const entry: Running = {
    key,
    addr: { id: key.peerId, directAddresses: [`127.0.0.1:${port++}`] },
    learned,
    source: undefined as unknown as DhtAddressSource,
    stop: async () => {
      alive.delete(key.peerId.toString());
      controller.abort();
      await done;
    },
  };
  const source = new DhtAddressSource({
    networkId: id(network),
    peerId: key.peerId,
    addr: () => entry.addr,
    ping,
    bootstrap: dht.bootstrap,
    host: '127.0.0.1',
    requestTimeoutMs: 200,
    aggressivePollMs: 300,
    ...overrides,
  });
  (entry as { source: DhtAddressSource }).source = source;
  alive.add(key.peerId.toString());
  const done = source.start(
    (addrs) => {
      for (const a of addrs) learned.set(a.id.toString(), a);
    },
    { neighbours: () => 0, signal: controller.signal },
  );
  running.add(entry);
  return entry;
}

async function slotHolders(network: string, depth = 16): Promise<(PeerId | undefined)[]> {
  const client = dht.nodes[0]!;
  const views = await scanChain(client, slotChain(id(network), depth));
  return views.map((v) => (v.state.kind === 'peer' ? v.state.addr.id : undefined));
}

describe('DHT address source', () => {
  it('lets 8 nodes with no bootstrap peers learn each other’s addresses', async () => {
    const nodes = Array.from({ length: 8 }, () => start('dht-eight'));
    await waitFor(
      () =>
        nodes.every((n) =>
          nodes.every(
            (m) =>
              m === n ||
              n.learned.get(m.key.peerId.toString())?.directAddresses[0] === m.addr.directAddresses[0],
          ),
        ),
      {
        timeout: 30_000,
        interval: 50,
        message: () => `learned: ${nodes.map((n) => n.learned.size).join(',')}`,
      },
    );
    // Each node holds exactly one slot: the publish cooldown keeps it from claiming more.
    const holders = (await slotHolders('dht-eight')).filter((p) => p !== undefined).map(String);
    expect(new Set(holders).size).toBe(8);
    expect(holders).toHaveLength(8);
    for (const n of nodes) expect(n.learned.has(n.key.peerId.toString())).toBe(false);
  });

  it('reclaims the slot of a node that stopped answering pings', async () => {
    const network = 'dht-reclaim';
    const a = start(network, { depth: 2 });
    const b = start(network, { depth: 2 });
    await waitFor(async () => (await slotHolders(network, 2)).every((p) => p !== undefined), {
      timeout: 20_000,
      interval: 50,
    });
    const deadSlot = (await slotHolders(network, 2)).findIndex((p) => p?.equals(a.key.peerId));
    expect(deadSlot).toBeGreaterThanOrEqual(0);
    await a.stop();
    const c = start(network, { depth: 2 });
    await waitFor(async () => (await slotHolders(network, 2))[deadSlot]?.equals(c.key.peerId), {
      timeout: 20_000,
      interval: 50,
      message: 'the dead node’s slot was not reclaimed',
    });
    // The live holder is left alone and the newcomer learns it.
    expect((await slotHolders(network, 2)).some((p) => p?.equals(b.key.peerId))).toBe(true);
    await waitFor(() => c.learned.has(b.key.peerId.toString()), { timeout: 10_000 });
    expect(c.learned.has(a.key.peerId.toString())).toBe(false);
  });

  it('skips and logs a garbage record, then publishes over it', async () => {
    const network = 'dht-garbage';
    const slot = slotChain(id(network), 1)[0]!;
    await dht.nodes[1]!.publish(slot.key, Uint8Array.of(0xde, 0xad, 0xbe, 0xef), nowMicros());
    const lines: { msg?: string; reason?: string; slot?: number }[] = [];
    const logger = createLogger({
      level: 'debug',
      destination: { write: (s: string) => void lines.push(JSON.parse(s)) },
    });
    const node = start(network, { depth: 1, logger });
    await waitFor(async () => (await slotHolders(network, 1))[0]?.equals(node.key.peerId), {
      timeout: 20_000,
      interval: 50,
    });
    expect(lines).toContainEqual(
      expect.objectContaining({ msg: 'skipping an invalid dht record', reason: 'not a DNS packet', slot: 0 }),
    );
    expect(node.learned.size).toBe(0);
  });

  it('republishes its own slot when its address changes', async () => {
    const network = 'dht-stale';
    const node = start(network, { depth: 4 });
    await waitFor(() => node.source.status.claimedSlot !== undefined, { timeout: 20_000 });
    const index = node.source.status.claimedSlot!;
    node.addr = { id: node.key.peerId, relayUrl: 'https://relay.test/', directAddresses: ['127.0.0.1:1234'] };
    const slot = slotChain(id(network), 4)[index]!;
    await waitFor(
      async () => {
        const item = await dht.nodes[2]!.resolve(slot.publicKey);
        const record = item && decodeSlotRecord(item.value, slot.name);
        return record?.kind === 'peer' && record.addr.directAddresses[0] === '127.0.0.1:1234';
      },
      { timeout: 20_000, interval: 50, message: 'stale record not refreshed' },
    );
    expect(node.source.status.claimedSlot).toBe(index);
    expect((await slotHolders(network, 4)).filter((p) => p?.equals(node.key.peerId))).toHaveLength(1);
  });

  it('stops and closes its DHT client when the signal aborts', async () => {
    const client = await DhtClient.open({
      bootstrap: dht.bootstrap,
      host: '127.0.0.1',
      requestTimeoutMs: 500,
    });
    try {
      const node = start('dht-stop', { client });
      await waitFor(() => node.source.status.scans > 0, { timeout: 10_000 });
      await node.stop();
      running.delete(node);
      const scans = node.source.status.scans;
      // A shared client stays open; the loop itself has ended.
      expect(client.closed).toBe(false);
      expect(node.source.status.scans).toBe(scans);
    } finally {
      await client.close();
    }
  });
});

describe('withTimeout', () => {
  it('rejects on timeout or abort even when the work ignores its signal', async () => {
    const { withTimeout } = await import('./types.js');
    const never = () => new Promise<never>(() => {});
    await expect(withTimeout(20, new AbortController().signal, never)).rejects.toThrow(
      /timed out after 20 ms/,
    );
    const parent = new AbortController();
    const pending = withTimeout(60_000, parent.signal, never);
    parent.abort(new Error('stopped'));
    await expect(pending).rejects.toThrow('stopped');
    await expect(withTimeout(1000, new AbortController().signal, async () => 7)).resolves.toBe(7);
  });
});
