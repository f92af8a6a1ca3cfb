/** The `rate-limiter` command line: `gateway` (one gateway) and `cluster` (several, one process). */
import { createWriteStream } from 'node:fs';
import { createLogger, type Logger } from '@mosaik/metrics';
import { Command, InvalidArgumentError, Option } from 'commander';
import { randomBytes, sleep, toHex } from 'mosaik';
import { parseAddr } from './addr.js';
import { DEFAULT_NETWORK, Gateway, type GatewayOptions, INSECURE_DEFAULT_KEY } from './gateway.js';
import { GossipLimiter } from './gossip.js';
import { MODES, type Mode } from './limiter.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n <= 0)
    throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new InvalidArgumentError('expected a port (0 picks a free one)');
  return n;
}

function hostPort(value: string): string {
  if (!/^(?:\[[^\]]+\]|[^\s:[\]]+):\d{1,5}$/.test(value))
    throw new InvalidArgumentError('expected host:port');
  return value;
}

function bootstrapAddr(value: string, previous: string[] | undefined): string[] {
  try {
    parseAddr(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
  return [...(previous ?? []), value];
}

/** Where the program writes and how it waits for Ctrl-C (replaceable in tests). */
export interface ProgramIo {
  /** One line of output (default: stdout). */
  readonly out?: (line: string) => void;
  /** Resolves when the program should stop (default: SIGINT or SIGTERM). */
  readonly stopped?: () => Promise<void>;
}

interface CommonOptions {
  port: number;
  host: string;
  rpm: number;
  burst?: number;
  mode: Mode;
  network: string;
  key?: string;
  metrics?: string;
  failOpen: boolean;
  preset: 'local' | 'n0';
  logFile?: string;
}

function addCommonOptions(cmd: Command): Command {
  return cmd
    .option('-p, --port <port>', 'HTTP port (0 picks a free one)', port, 3000)
    .option('--host <host>', 'HTTP host', '127.0.0.1')
    .option('-r, --rpm <n>', 'requests per minute per user', positiveInt, 10)
    .option('-b, --burst <n>', 'bucket capacity per user (default: rpm)', positiveInt)
    .addOption(new Option('-m, --mode <mode>', 'how gateways agree').choices(MODES).default('strict'))
    .option('-n, --network <name>', 'mosaik network name', DEFAULT_NETWORK)
    .addOption(new Option('-k, --key <secret>', 'secret of the budget group').env('RATE_LIMITER_KEY'))
    .option('--metrics <host:port>', 'serve Prometheus metrics at http://host:port/metrics', hostPort)
    .option('--fail-open', 'grant requests while no decision can be taken (default: 503)', false)
    .addOption(
      new Option('--preset <preset>', 'transport: loopback only, or relays and address lookup')
        .choices(['local', 'n0'])
        .default('local'),
    )
    .option('--log-file <path>', 'write logs (pino JSON, level from MOSAIK_LOG) to a file instead of stderr');
}

function loggerFor(o: CommonOptions): Logger {
  return createLogger({
    name: 'rate-limiter',
    destination: o.logFile === undefined ? process.stderr : createWriteStream(o.logFile, { flags: 'a' }),
  });
}

function gatewayOptions(o: CommonOptions, logger: Logger): GatewayOptions {
  return {
    mode: o.mode,
    rpm: o.rpm,
    ...(o.burst !== undefined ? { burst: o.burst } : {}),
    port: o.port,
    host: o.host,
    network: o.network,
    ...(o.key !== undefined ? { key: o.key } : {}),
    failOpen: o.failOpen,
    preset: o.preset,
    logger,
  };
}

function describe(o: CommonOptions): string {
  return `mode ${o.mode}, ${o.rpm} requests/minute per user, burst ${o.burst ?? o.rpm}`;
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      // A second Ctrl-C while closing quits at once.
      process.once('SIGINT', () => process.exit(130));
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/**
 * In gossip mode, waits until every gateway hears all the others (until then each decides as if
 * alone), or until `stop`.
 */
async function allHeard(gateways: readonly Gateway[], stop: Promise<void>): Promise<void> {
  let stopped = false;
  void stop.then(() => {
    stopped = true;
  });
  const deadline = Date.now() + 60_000;
  while (!stopped && Date.now() < deadline) {
    if (
      gateways.every((g) => !(g.limiter instanceof GossipLimiter) || g.limiter.gateways() === gateways.length)
    )
      return;
    await sleep(100);
  }
}

/** The `rate-limiter` program; call `parseAsync(argv)` on it. */
export function createProgram(io: ProgramIo = {}): Command {
  const out = io.out ?? ((line: string) => process.stdout.write(`${line}\n`));
  const stopped = io.stopped ?? waitForSignal;
  const program = new Command('rate-limiter').description(
    'distributed rate limiter on mosaik: HTTP gateways sharing one token bucket per user',
  );

  addCommonOptions(
    program
      .command('gateway', { isDefault: true })
      .description('run one gateway')
      .option('--bootstrap <address...>', 'other gateways to join (<peer id>@<ip:port>)', bootstrapAddr),
  ).action(async (o: CommonOptions & { bootstrap?: string[] }) => {
    const logger = loggerFor(o);
    if (o.key === undefined && o.mode !== 'local' && o.mode !== 'gossip')
      logger.warn(
        'no --key: using the built-in group secret; anyone on the network can join the budget group',
      );
    const gateway = await Gateway.start({
      ...gatewayOptions(o, logger),
      ...(o.bootstrap !== undefined ? { bootstrap: o.bootstrap.map(parseAddr) } : {}),
      ...(o.metrics !== undefined ? { metrics: o.metrics } : {}),
    });
    out(`rate-limiter gateway: ${describe(o)}`);
    out(`  http     ${gateway.url}`);
    if (gateway.address !== undefined) {
      out(`  peer     ${gateway.net!.peerId.toString()}`);
      out(`  address  ${gateway.address}`);
    }
    if (gateway.exporter !== undefined) out(`  metrics  ${gateway.exporter.url}`);
    const stop = stopped();
    const readiness = gateway.ready(600_000).then(
      () => out(`ready: curl -i '${gateway.url}/api/resource?user_id=alice'`),
      (error: unknown) => logger.error({ err: String(error) }, 'gateway never became ready'),
    );
    await stop;
    await gateway.close();
    await readiness;
    out('stopped');
  });

  addCommonOptions(
    program.command('cluster').description('run several gateways in this process (a local demo)'),
  )
    .option('-g, --gateways <n>', 'how many gateways', positiveInt, 3)
    .action(async (o: CommonOptions & { gateways: number }) => {
      const logger = loggerFor(o);
      // A fresh secret and network per run: two demos on one machine never join each other.
      const runId = toHex(randomBytes(8));
      const gateways: Gateway[] = [];
      const stop = stopped();
      try {
        for (let i = 0; i < o.gateways; i++) {
          const first = gateways[0];
          gateways.push(
            await Gateway.start({
              ...gatewayOptions(o, logger.child({ gateway: i + 1 })),
              port: o.port === 0 ? 0 : o.port + i,
              network: `${o.network}/${runId}`,
              key: o.key ?? `${INSECURE_DEFAULT_KEY}/${runId}`,
              ...(first?.net !== undefined ? { bootstrap: [first.net.addr] } : {}),
              ...(o.metrics !== undefined && i === 0 ? { metrics: o.metrics } : {}),
            }),
          );
        }
        out(`rate-limiter cluster: ${gateways.length} gateways, ${describe(o)}`);
        const ready = Promise.all(gateways.map((g) => g.ready(60_000))).then(() => allHeard(gateways, stop));
        if ((await Promise.race([ready.then(() => true), stop.then(() => false)])) === false) return;
        for (const [i, g] of gateways.entries()) {
          const role = g.group === undefined ? '' : g.group.isLeader() ? '  (leader)' : '  (follower)';
          out(`  gateway ${i + 1}  ${g.url}${role}`);
        }
        const exporter = gateways[0]?.exporter;
        if (exporter !== undefined) out(`  metrics    ${exporter.url} (gateway 1)`);
        const [a, b] = [gateways[0]!, gateways[1] ?? gateways[0]!];
        out('try:');
        out(`  curl -i '${a.url}/api/resource?user_id=alice'`);
        out(`  curl -i -H 'X-User-Id: alice' '${b.url}/api/resource'`);
        out(
          `  for i in $(seq 1 ${(o.burst ?? o.rpm) + 2}); do curl -s '${a.url}/api/resource?user_id=bob'; echo; done`,
        );
        out('Ctrl-C to stop.');
        await stop;
      } finally {
        await Promise.all(gateways.map((g) => g.close()));
        out('stopped');
      }
    });
  return program;
}
