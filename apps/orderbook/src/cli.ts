/**
 * The `orderbook` command line. Without `--role` it runs the single-process demo; with
 * `--role matcher|trader|observer` it runs one node of a multi-process book.
 */
import { createLogger, type Logger } from '@mosaik/metrics';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { EndpointAddr } from 'mosaik';
import { parseAddr } from './addr.js';
import { runDemo } from './demo.js';
import { Printer } from './output.js';
import { type RoleContext, runMatcher, runObserver, runTrader } from './roles.js';
import { parseOrderSpec, parsePair } from './spec.js';
import type { NewRequest, TradingPair } from './types.js';

const DEFAULT_NETWORK = 'mosaik-orderbook';
const DEFAULT_KEY = 'mosaik-orderbook-demo-key';
const DEFAULT_PAIR = 'ETH/USDC';

interface CliOptions {
  role?: 'matcher' | 'trader' | 'observer';
  network: string;
  key: string;
  pair: TradingPair;
  bootstrap: EndpointAddr[];
  preset: 'local' | 'n0';
  metrics?: string;
  json: boolean;
  logLevel?: string;
  data?: string;
  foundAfter?: number;
  name?: string;
  order: string[];
  rate: number;
  seed?: number;
  count?: number;
  ackTimeout: number;
  interval: number;
}

function positiveNumber(name: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative number`);
    return n;
  };
}

function integer(name: string) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isSafeInteger(n) || n < 0)
      throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return n;
  };
}

/** The commander program (exported for tests of the option parsing). */
export function program(): Command {
  return new Command('orderbook')
    .description(
      'A replicated limit order book on mosaik. Without --role: a single-process demo (3 matchers, 2 traders).',
    )
    .addOption(
      new Option('--role <role>', 'run one node of a multi-process book').choices([
        'matcher',
        'trader',
        'observer',
      ]),
    )
    .option('--network <name>', 'network name (all nodes of a book use the same)', DEFAULT_NETWORK)
    .option('--key <secret>', 'group key shared by the matchers and observers', DEFAULT_KEY)
    .addOption(
      new Option('--pair <BASE/QUOTE>', 'trading pair of the book')
        .argParser((t) => {
          const pair = parsePair(t);
          if (pair === undefined) throw new InvalidArgumentError('expected BASE/QUOTE, e.g. ETH/USDC');
          return pair;
        })
        .default(parsePair(DEFAULT_PAIR)!, DEFAULT_PAIR),
    )
    .addOption(
      new Option('--bootstrap <addr>', 'a node to join through, as printed by the first matcher (repeatable)')
        .argParser((t: string, all: EndpointAddr[]) => {
          try {
            return [...all, parseAddr(t)];
          } catch (error) {
            throw new InvalidArgumentError((error as Error).message);
          }
        })
        .default([] as EndpointAddr[], 'none'),
    )
    .addOption(
      new Option('--preset <preset>', 'transport: local (loopback, no internet) or n0 (relays)')
        .choices(['local', 'n0'])
        .default('local'),
    )
    .option('--metrics <host:port>', 'serve Prometheus metrics at http://<host:port>/metrics')
    .option('--json', 'print JSON lines on stdout instead of text', false)
    .option('--log-level <level>', 'log level of the JSON logs on stderr (default MOSAIK_LOG or warn)')
    .option('--data <dir>', 'matcher: keep the Raft log in this directory (default: memory)')
    .option(
      '--found-after <ms>',
      'matcher: wait this long for an existing book before founding one (default 1000, or 1 h with --bootstrap)',
      integer('--found-after'),
    )
    .option('--name <name>', 'trader: its name in the book (default trader-<random>)')
    .addOption(
      new Option('--order <spec>', 'trader: an order such as "bid 10 @ 3000.50" or "cancel 4" (repeatable)')
        .argParser((t: string, all: string[]) => [...all, t])
        .default([] as string[], 'none'),
    )
    .option('--rate <n>', 'trader: random orders per second', positiveNumber('--rate'), 0)
    .option('--seed <n>', 'trader: seed of the random flow (default random)', integer('--seed'))
    .option('--count <n>', 'trader: stop after this many random orders', integer('--count'))
    .option(
      '--ack-timeout <ms>',
      'trader: re-send a request unacknowledged this long',
      integer('--ack-timeout'),
      2000,
    )
    .option('--interval <ms>', 'observer: print the book at most this often', integer('--interval'), 1000)
    .addHelpText(
      'after',
      `
Examples (from the repository root):
  pnpm orderbook                                    the single-process demo
  pnpm orderbook --role matcher                     first matcher: prints the commands for the others
  pnpm orderbook --role trader --bootstrap <addr> --order "bid 10 @ 3000.50"
  pnpm orderbook --role trader --bootstrap <addr> --rate 5 --seed 7`,
    );
}

function makeLogger(level: string | undefined): Logger {
  // Logs are JSON for machines and go to stderr; stdout is the program's own output.
  return createLogger({
    name: 'orderbook',
    level: (level ?? process.env.MOSAIK_LOG ?? 'warn') as never,
    destination: process.stderr,
  });
}

/** Parses `argv`, runs the chosen mode and resolves with the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const cmd = program();
  cmd.parse([...argv]);
  const o = cmd.opts<CliOptions>();
  const printer = new Printer(o.json);
  const logger = makeLogger(o.logLevel);
  const stop = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    // The first Ctrl-C leaves cleanly (a leader hands over first); a second one does not wait.
    if (++interrupts > 1) process.exit(130);
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    if (o.role === undefined) {
      await runDemo({ pair: o.pair, printer, logger, metricsAddr: o.metrics });
      return 0;
    }
    const shared = [
      o.network === DEFAULT_NETWORK ? '' : ` --network ${o.network}`,
      o.key === DEFAULT_KEY ? '' : ` --key ${o.key}`,
      `${o.pair.base}/${o.pair.quote}` === DEFAULT_PAIR ? '' : ` --pair ${o.pair.base}/${o.pair.quote}`,
      o.preset === 'local' ? '' : ` --preset ${o.preset}`,
    ].join('');
    const ctx: RoleContext = {
      network: o.network,
      key: o.key,
      pair: o.pair,
      bootstrap: o.bootstrap,
      preset: o.preset,
      metricsAddr: o.metrics,
      printer,
      logger,
      signal: stop.signal,
      sharedFlags: shared,
    };
    if (o.role !== 'trader' && o.key === DEFAULT_KEY)
      logger.warn('using the public default group key: pass --key <secret> on every matcher and observer');
    switch (o.role) {
      case 'matcher':
        await runMatcher(ctx, { dataDir: o.data, foundAfter: o.foundAfter });
        return 0;
      case 'observer':
        await runObserver(ctx, { interval: o.interval });
        return 0;
      case 'trader': {
        const orders: NewRequest[] = [];
        for (const spec of o.order) {
          const parsed = parseOrderSpec(spec, o.pair);
          if ('error' in parsed) {
            process.stderr.write(`error: --order ${JSON.stringify(spec)}: ${parsed.error}\n`);
            return 2;
          }
          orders.push(parsed);
        }
        const failed = await runTrader(ctx, {
          name: o.name ?? `trader-${Math.random().toString(16).slice(2, 6)}`,
          orders,
          rate: o.rate,
          seed: o.seed ?? Math.floor(Math.random() * 2 ** 31),
          count: o.count,
          ackTimeout: o.ackTimeout,
          // Client ids must never repeat for one trader name, across restarts too: start from the
          // clock (ms), which a trader cannot overtake below a thousand requests a second.
          firstClientId: Date.now(),
        });
        return failed === 0 ? 0 : 1;
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
