/** The `mosaik` command line: subcommands on commander. */
import { readFileSync } from 'node:fs';
import type { LogLevel } from '@mosaik/metrics';
import { Command, InvalidArgumentError, Option } from 'commander';
import { runBeacon } from './beacon.js';
import { runDht } from './dht.js';
import { runInspect } from './inspect.js';
import { palette, wantsColour } from './term.js';

function version(): string {
  try {
    // src/cli and dist/cli both sit two levels below the package root.
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** `--preset`: the transport preset a command's node starts with. */
function presetOption(description: string): Option {
  return new Option('--preset <preset>', description).choices(['n0', 'local']);
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

function hostPort(value: string, previous: string[] | undefined): string[] {
  if (!/^[^\s:]+:\d{1,5}$/.test(value)) throw new InvalidArgumentError('expected host:port');
  return [...(previous ?? []), value];
}

/** Repeatable list option; each value may itself be a comma- or space-separated list (env vars). */
function list(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(/[\s,]+/).filter(Boolean)];
}

function count(_: string, previous: number): number {
  return previous + 1;
}

/** A boolean environment variable: set, and not `0`/`false`/`no`/empty. */
function envFlag(name: string): boolean {
  const v = process.env[name]?.trim().toLowerCase();
  return v !== undefined && v !== '' && v !== '0' && v !== 'false' && v !== 'no';
}

/** Log level from `-v` count, `-q`, or `MOSAIK_BOOTSTRAP_LOGGING` (a count, or a level name). */
function beaconLogLevel(verbose: number, quiet: boolean): LogLevel {
  if (quiet || envFlag('MOSAIK_BOOTSTRAP_QUIET')) return 'silent';
  let n = verbose;
  const env = process.env.MOSAIK_BOOTSTRAP_LOGGING?.trim().toLowerCase();
  if (n === 0 && env !== undefined && env !== '') {
    if (['trace', 'debug', 'info', 'warn', 'error', 'silent'].includes(env)) return env as LogLevel;
    n = Number(env) || 0;
  }
  return n >= 2 ? 'trace' : n === 1 ? 'debug' : 'info';
}

const EXAMPLES = `
Examples:
  $ mosaik beacon --network my-app --secret "beacon-1 secret" --diagnostics 127.0.0.1:9300
  $ mosaik inspect --network my-app --bootstrap <peer-id>@203.0.113.7:4433 --watch
  $ mosaik dht --network my-app --timeout 5

Run "mosaik <command> --help" for a command's options.`;

/** Options of {@link createProgram}. */
export interface ProgramIo {
  /** Writes one line of normal output. */
  readonly out?: (line: string) => void;
}

/** The `mosaik` program; call `parseAsync(argv)` on it. */
export function createProgram(io: ProgramIo = {}): Command {
  const program = new Command('mosaik')
    .description('mosaik: tools for self-organizing distributed systems')
    .version(version())
    .addHelpText('after', EXAMPLES);

  program
    .command('beacon')
    .description('run a bootstrap node that other nodes join the network through')
    .addOption(
      new Option(
        '-n, --network-id <network>',
        'network name or 64-hex id (default: random, with a warning)',
      ).env('MOSAIK_BOOTSTRAP_NETWORK_ID'),
    )
    .addOption(new Option('--network <network>', 'alias of --network-id').hideHelp())
    .addOption(
      new Option(
        '-s, --secret <secret>',
        'identity: 64 hex chars, or any text hashed into a key (default: random, with a warning)',
      ).env('MOSAIK_BOOTSTRAP_SECRET'),
    )
    .addOption(
      new Option('-p, --peers <addr...>', 'other beacons to dial: <peer-id>[@ip:port,…]')
        .env('MOSAIK_BOOTSTRAP_PEERS')
        .argParser(list),
    )
    .addOption(
      new Option('-t, --tags <tag...>', 'discovery tags (default: beacon)')
        .env('MOSAIK_BOOTSTRAP_TAGS')
        .argParser(list),
    )
    .option(
      '--no-relay',
      'disable relays (env MOSAIK_BOOTSTRAP_NO_RELAY): the beacon must be directly reachable',
    )
    .option('--bind <host:port...>', 'UDP address(es) of the QUIC endpoint, e.g. 0.0.0.0:4433', list)
    .option('-v, --verbose', 'more logs: -v debug, -vv trace (env MOSAIK_BOOTSTRAP_LOGGING)', count, 0)
    .addOption(new Option('-q, --quiet', 'no logs (env MOSAIK_BOOTSTRAP_QUIET)').conflicts('verbose'))
    .option('--metrics <host:port>', 'serve Prometheus metrics at http://host:port/metrics')
    .option('--diagnostics <host:port>', 'serve the live diagnostics page (host defaults to 127.0.0.1)')
    .addOption(
      new Option('--diagnostics-token <token>', 'bearer token the diagnostics page requires').env(
        'MOSAIK_DIAGNOSTICS_TOKEN',
      ),
    )
    .addOption(presetOption('transport preset (local: loopback only, for tests)'))
    .addHelpText(
      'after',
      `
Example:
  $ mosaik beacon -n my-app -s "$(cat /etc/mosaik/beacon.secret)" --bind 0.0.0.0:4433 --metrics 127.0.0.1:9464`,
    )
    .action(
      async (opts: {
        networkId?: string;
        network?: string;
        secret?: string;
        peers?: string[];
        tags?: string[];
        relay: boolean;
        bind?: string[];
        verbose: number;
        quiet?: boolean;
        metrics?: string;
        diagnostics?: string;
        diagnosticsToken?: string;
        preset?: 'n0' | 'local';
      }) => {
        const network = opts.networkId ?? opts.network;
        await runBeacon({
          ...(network === undefined ? {} : { network }),
          ...(opts.secret === undefined ? {} : { secret: opts.secret }),
          ...(opts.peers === undefined ? {} : { peers: opts.peers }),
          ...(opts.tags === undefined ? {} : { tags: opts.tags }),
          noRelay: opts.relay === false || envFlag('MOSAIK_BOOTSTRAP_NO_RELAY'),
          ...(opts.bind === undefined ? {} : { bind: opts.bind }),
          logLevel: beaconLogLevel(opts.verbose, opts.quiet === true),
          ...(opts.metrics === undefined ? {} : { metricsAddr: opts.metrics }),
          ...(opts.diagnostics === undefined ? {} : { diagnosticsAddr: opts.diagnostics }),
          ...(opts.diagnosticsToken === undefined ? {} : { diagnosticsToken: opts.diagnosticsToken }),
          ...(opts.preset === undefined ? {} : { preset: opts.preset }),
          palette: palette(wantsColour(undefined)),
          ...(io.out === undefined ? {} : { write: io.out }),
        });
      },
    );

  program
    .command('inspect')
    .description('join a network as a passive observer and print its peers, streams and groups')
    .addOption(
      new Option('-n, --network <network>', 'network name or 64-hex id')
        .env('MOSAIK_NETWORK')
        .makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '-b, --bootstrap <addr...>',
        'peers to join through: <peer-id>[@ip:port,…] (default: the DHT)',
      )
        .env('MOSAIK_BOOTSTRAP_PEERS')
        .argParser(list),
    )
    .option('--json', 'print JSON (with --watch: one document per line)')
    .addOption(new Option('-w, --watch [seconds]', 'refresh until interrupted').argParser(seconds).preset(2))
    .option('--wait <seconds>', 'how long to wait for the catalog to settle', seconds, 5)
    .option('--timeout <seconds>', 'timeout of each status query', seconds, 3)
    .option('--no-relay', 'disable relays')
    .option('--no-color', 'no colours (also NO_COLOR, or when stdout is not a terminal)')
    .option('--diagnostics <host:port>', 'also serve the diagnostics page of the observer node')
    .addOption(presetOption('transport preset (local: loopback only, for tests)'))
    .addHelpText(
      'after',
      `
Example:
  $ mosaik inspect -n my-app -b <peer-id>@203.0.113.7:4433 --json | jq '.groups[] | {group, leader, term}'`,
    )
    .action(
      async (opts: {
        network: string;
        bootstrap?: string[];
        json?: boolean;
        watch?: number;
        wait: number;
        timeout: number;
        relay: boolean;
        color: boolean;
        diagnostics?: string;
        preset?: 'n0' | 'local';
      }) => {
        const colour = opts.json !== true && wantsColour(opts.color);
        await runInspect({
          network: opts.network,
          bootstrap: opts.bootstrap ?? [],
          json: opts.json === true,
          ...(opts.watch === undefined ? {} : { watchSec: opts.watch }),
          waitSec: opts.wait,
          timeoutSec: opts.timeout,
          noRelay: opts.relay === false,
          colour,
          spinner: process.stdout.isTTY === true && process.stderr.isTTY === true,
          ...(opts.diagnostics === undefined ? {} : { diagnosticsAddr: opts.diagnostics }),
          ...(opts.preset === undefined ? {} : { preset: opts.preset }),
          ...(io.out === undefined ? {} : { write: (t: string) => io.out?.(t.replace(/\n$/, '')) }),
        });
      },
    );

  program
    .command('dht')
    .description('inspect the 16-slot DHT bootstrap chain of a network')
    .addOption(
      new Option('-n, --network <network>', 'network name or 64-hex id')
        .env('MOSAIK_NETWORK')
        .makeOptionMandatory(),
    )
    .option('-t, --timeout <seconds>', 'timeout of each lookup and status check', seconds, 10)
    .option(
      '-b, --bootstrap <host:port...>',
      'DHT nodes to join (default: the public Mainline routers)',
      hostPort,
    )
    .option('--no-check-status', 'do not ping the peers found in slots')
    .addOption(presetOption('transport preset of the pinging node'))
    .addHelpText(
      'after',
      `
Example:
  $ mosaik dht --network my-app --no-check-status`,
    )
    .action(
      async (opts: {
        network: string;
        timeout: number;
        bootstrap?: string[];
        checkStatus: boolean;
        preset?: 'n0' | 'local';
      }) => {
        await runDht({
          network: opts.network,
          timeoutSec: opts.timeout,
          checkStatus: opts.checkStatus,
          ...(opts.bootstrap !== undefined ? { bootstrap: opts.bootstrap } : {}),
          ...(opts.preset !== undefined ? { preset: opts.preset } : {}),
          ...(io.out !== undefined ? { write: io.out } : {}),
        });
      },
    );
  return program;
}
