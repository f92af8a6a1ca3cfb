/**
 * `mosaik beacon`: a long-running bootstrap node. An ordinary node with a stable identity and
 * the `beacon` tag that prints the text address others bootstrap from, and leaves gracefully
 * (a signed departure, so peers drop it at once) on SIGINT or SIGTERM.
 */
import { id, randomBytes, SecretKey, toHex } from '@mosaik/id';
import { createLogger, type LogLevel, startPrometheusExporter } from '@mosaik/metrics';
import type { TransportPreset } from '@mosaik/transport';
import { formatBootstrapAddr } from '../bootstrap-addr.js';
import { Network } from '../network.js';
import type { Palette } from './term.js';

/** Options of {@link runBeacon}. */
export interface BeaconOptions {
  /** Network name or 64-hex id; random (with a warning) when absent. */
  readonly network?: string;
  /** Secret: 64 hex chars are the key, anything else is hashed into one; random (with a warning) when absent. */
  readonly secret?: string;
  /** Other beacons or peers to dial (text addresses or bare peer ids). */
  readonly peers?: readonly string[];
  readonly tags?: readonly string[];
  readonly noRelay?: boolean;
  readonly preset?: TransportPreset;
  /** UDP bind addresses of the QUIC endpoint, `host:port` (a fixed port for firewalls). */
  readonly bind?: readonly string[];
  readonly logLevel?: LogLevel;
  readonly metricsAddr?: string;
  readonly diagnosticsAddr?: string;
  readonly diagnosticsToken?: string;
  readonly palette: Palette;
  /** Normal output (default stdout). */
  readonly write?: (line: string) => void;
  /** Warnings (default stderr). */
  readonly warn?: (line: string) => void;
}

/** A started beacon. */
export interface RunningBeacon {
  readonly network: Network;
  /** Leaves gracefully and closes the node. */
  stop(): Promise<void>;
}

/** Starts the beacon node and prints its identity; the caller keeps it running. */
export async function startBeacon(options: BeaconOptions): Promise<RunningBeacon> {
  const write = options.write ?? ((l: string) => process.stdout.write(`${l}\n`));
  const warn = options.warn ?? ((l: string) => process.stderr.write(`${l}\n`));
  const p = options.palette;
  let network = options.network;
  if (network === undefined || network === '') {
    network = toHex(randomBytes(32));
    warn(
      p.yellow(
        'warning: no --network-id given: using a random network id; nodes must use this exact id to join',
      ),
    );
  }
  let secretKey: SecretKey;
  if (options.secret === undefined || options.secret === '') {
    secretKey = SecretKey.generate();
    warn(
      p.yellow(
        'warning: no --secret given: the peer id changes on every start, so bootstrap strings printed now stop working after a restart',
      ),
    );
  } else secretKey = SecretKey.fromString(options.secret);
  const tags = options.tags !== undefined && options.tags.length > 0 ? options.tags : ['beacon'];
  const net = await Network.create(network, {
    secretKey,
    bootstrap: options.peers ?? [],
    discovery: { tags },
    logger: createLogger({ level: options.logLevel ?? 'info', destination: process.stderr }),
    ...(options.preset === undefined ? {} : { preset: options.preset }),
    ...(options.noRelay ? { relayMode: 'disabled' as const } : {}),
    ...(options.bind === undefined || options.bind.length === 0 ? {} : { bindAddrs: options.bind }),
    ...(options.diagnosticsAddr === undefined ? {} : { diagnosticsAddr: options.diagnosticsAddr }),
    ...(options.diagnosticsToken === undefined ? {} : { diagnosticsToken: options.diagnosticsToken }),
  });
  let metricsUrl: string | undefined;
  if (options.metricsAddr !== undefined) {
    // Started here rather than through `prometheusAddr`, to print the bound port.
    try {
      const exporter = await startPrometheusExporter(options.metricsAddr, net.local.metrics.registry);
      net.local.onClose(() => exporter.close());
      metricsUrl = exporter.url;
    } catch (error) {
      await net.close();
      throw error;
    }
  }
  const addr = net.addr;
  const row = (k: string, v: string) => write(`  ${p.dim(k.padEnd(12))}${v}`);
  write(p.bold('mosaik beacon started'));
  row('network', net.networkId.toString());
  row('peer id', net.peerId.toString());
  row('tags', tags.map((t) => `${t} (${id(t).short()})`).join(', '));
  row('addresses', addr.directAddresses.join(', ') || '-');
  row('relay', addr.relayUrl ?? 'disabled');
  row('peers', (options.peers ?? []).join(', ') || '-');
  if (metricsUrl !== undefined) row('metrics', metricsUrl);
  if (net.diagnostics !== undefined) row('diagnostics', net.diagnostics.url);
  row('bootstrap', p.green(formatBootstrapAddr(addr)));
  write('');
  write(p.dim('Bootstrap other nodes from it:'));
  write(`  Network.create('${network}', { bootstrap: ['${formatBootstrapAddr(addr)}'] })`);
  write(`  mosaik inspect --network ${network} --bootstrap ${formatBootstrapAddr(addr)}`);
  write(p.dim('Hit Ctrl+C to stop the beacon (it leaves gracefully).'));
  return { network: net, stop: () => net.close() };
}

/** Runs the beacon until SIGINT or SIGTERM, then leaves gracefully. A second signal exits at once. */
export async function runBeacon(options: BeaconOptions): Promise<void> {
  const warn = options.warn ?? ((l: string) => process.stderr.write(`${l}\n`));
  // Listen before starting: a signal that arrives while the node starts still stops it cleanly.
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.once('SIGINT', () => process.exit(130));
      process.once('SIGTERM', () => process.exit(143));
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  const beacon = await startBeacon(options);
  warn(`${await signalled}: leaving the network…`);
  await beacon.stop();
  warn('beacon stopped');
}
