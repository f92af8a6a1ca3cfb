/**
 * `mosaik dht`: inspects a network's 16-slot DHT bootstrap chain. Each slot
 * is printed as empty, invalid (with the reason) or the peer it holds with its record's age and
 * addresses; occupied slots are pinged over the discovery ping ALPN from a throwaway node.
 */
import { Discovery } from '@mosaik/discovery';
import {
  CHAIN_DEPTH,
  DhtClient,
  MAINLINE_BOOTSTRAP,
  type PingFunction,
  pingVia,
  type SlotView,
  scanChain,
  slotChain,
} from '@mosaik/discovery/dht';
import { id, MosaikError } from '@mosaik/id';
import { createLogger } from '@mosaik/metrics';
import { LocalNode, type TransportPreset } from '@mosaik/transport';

/** Options of {@link runDht}. */
export interface DhtCommandOptions {
  /** Network name or 64-hex id (the id rule). */
  readonly network: string;
  /** Timeout of each lookup and each status check, seconds (default 10). */
  readonly timeoutSec?: number;
  /** DHT bootstrap nodes `host:port` (default: the public Mainline routers). */
  readonly bootstrap?: readonly string[];
  /** Ping occupied slots (default true). */
  readonly checkStatus?: boolean;
  /** Transport preset of the throwaway node that pings (default `'n0'`; `'local'` for loopback tests). */
  readonly preset?: TransportPreset;
  /** Ping function to use instead of a throwaway node (tests). `null`: pinging is unavailable. */
  readonly ping?: PingFunction | null;
  /** Where lines go (default stdout). */
  readonly write?: (line: string) => void;
}

/** No DHT node answered: nothing can be looked up. */
export class DhtUnreachableError extends MosaikError<'dht_unreachable'> {
  constructor(message: string) {
    super('dht_unreachable', message);
  }
}

/** Counts printed at the end. */
export interface DhtSummary {
  readonly occupied: number;
  readonly healthy: number;
  readonly unhealthy: number;
}

/** `1h 2m 3s`-style duration. */
export function formatDuration(ms: number): string {
  let s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86_400);
  s -= d * 86_400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const parts = [d ? `${d}d` : '', h ? `${h}h` : '', m ? `${m}m` : '', `${s}s`].filter(Boolean);
  return parts.slice(0, 3).join(' ');
}

function describe(view: SlotView, now: number): string[] {
  const head = `slot ${String(view.slot.index).padStart(2)}  ${view.slot.name}  `;
  const { state } = view;
  switch (state.kind) {
    case 'empty':
      return [`${head}empty`];
    case 'unreachable':
      return [
        `${head}lookup failed (${state.error instanceof Error ? state.error.message : String(state.error)})`,
      ];
    case 'invalid':
      return [`${head}invalid (${state.reason})`];
    case 'peer': {
      const published = state.seq / 1000;
      const lines = [
        `${head}${state.addr.id.toString()}`,
        `         published ${new Date(published).toUTCString()} (${formatDuration(now - published)} ago)`,
      ];
      for (const a of state.addr.directAddresses) lines.push(`         address ${a}`);
      if (state.addr.relayUrl !== undefined) lines.push(`         relay ${state.addr.relayUrl}`);
      return lines;
    }
  }
}

/** A ping over a throwaway node, and how to release it. */
async function throwawayPing(network: string, preset: TransportPreset | undefined, timeoutMs: number) {
  const node = await LocalNode.bind(network, {
    ...(preset !== undefined ? { preset } : {}),
    logger: createLogger({ level: 'silent' }),
  });
  try {
    const discovery = await Discovery.start(node, { noDhtBootstrap: true, exchangeTimeoutMs: timeoutMs });
    return {
      ping: pingVia(discovery),
      close: async () => {
        await discovery.close();
        await node.close();
      },
    };
  } catch (error) {
    await node.close();
    throw error;
  }
}

/** Runs `mosaik dht`; resolves with the counts once every slot is printed. */
export async function runDht(options: DhtCommandOptions): Promise<DhtSummary> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const timeoutMs = (options.timeoutSec ?? 10) * 1000;
  const networkId = id(options.network);
  const slots = slotChain(networkId);
  write(`network ${networkId.toString()}`);

  const client = await DhtClient.open({
    ...(options.bootstrap !== undefined ? { bootstrap: options.bootstrap } : {}),
    // Per DHT query; a lookup makes several, so keep it well under the overall timeout.
    requestTimeoutMs: Math.min(timeoutMs, 2_000),
  });
  let release: (() => Promise<void>) | undefined;
  try {
    if (client.routingTableSize === 0) {
      // Every lookup would come back empty: say so instead of printing 16 "empty" slots.
      throw new DhtUnreachableError(
        `no DHT node answered (bootstrap: ${(options.bootstrap ?? MAINLINE_BOOTSTRAP).join(', ')}); ` +
          'is UDP to the internet blocked? Pass --bootstrap host:port to use other DHT nodes',
      );
    }
    const views = await scanChain(client, slots);
    let ping: PingFunction | null = null;
    if (options.checkStatus !== false) {
      if (options.ping !== undefined) ping = options.ping;
      else {
        try {
          const t = await throwawayPing(options.network, options.preset, timeoutMs);
          ping = t.ping;
          release = t.close;
        } catch (error) {
          write(`ping unavailable (${error instanceof Error ? error.message : String(error)})`);
        }
      }
      if (ping === null && options.ping === null) write('ping unavailable');
    }

    let healthy = 0;
    let unhealthy = 0;
    const now = Date.now();
    const statuses = await Promise.all(
      views.map(async (view): Promise<string | undefined> => {
        if (view.state.kind !== 'peer' || ping === null) return undefined;
        try {
          const reply = await Promise.race([
            ping(view.state.addr, AbortSignal.timeout(timeoutMs)),
            new Promise<never>((_, reject) =>
              setTimeout(() => reject(new Error(`no answer in ${timeoutMs / 1000}s`)), timeoutMs).unref(),
            ),
          ]);
          healthy++;
          return reply.uptimeMs === undefined
            ? 'healthy'
            : `healthy (uptime ${formatDuration(reply.uptimeMs)})`;
        } catch (error) {
          unhealthy++;
          return `unhealthy (${error instanceof Error ? error.message : String(error)})`;
        }
      }),
    );
    for (const [i, view] of views.entries()) {
      for (const line of describe(view, now)) write(line);
      const status = statuses[i];
      if (status !== undefined) write(`         ${status}`);
    }
    const occupied = views.filter((v) => v.state.kind === 'peer').length;
    write(
      ping === null
        ? `${occupied}/${CHAIN_DEPTH} slots occupied`
        : `${occupied}/${CHAIN_DEPTH} slots occupied, ${healthy} healthy, ${unhealthy} unhealthy`,
    );
    return { occupied, healthy, unhealthy };
  } finally {
    await release?.();
    await client.close();
  }
}
