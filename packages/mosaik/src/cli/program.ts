/** The `mosaik` command line: subcommands on commander. */
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { runDht } from './dht.js';

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

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

function hostPort(value: string, previous: string[] | undefined): string[] {
  if (!/^[^\s:]+:\d{1,5}$/.test(value)) throw new InvalidArgumentError('expected host:port');
  return [...(previous ?? []), value];
}

/** Options of {@link createProgram}. */
export interface ProgramIo {
  /** Writes one line of normal output. */
  readonly out?: (line: string) => void;
}

/** The `mosaik` program; call `parseAsync(argv)` on it. */
export function createProgram(io: ProgramIo = {}): Command {
  const program = new Command('mosaik')
    .description('mosaik: tools for self-organizing distributed systems')
    .version(version());
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
    .addOption(
      new Option('--preset <preset>', 'transport preset of the pinging node').choices(['n0', 'local']),
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
