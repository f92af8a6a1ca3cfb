/**
 * The command line: `chat --nickname Alice [--room lobby] [--color 36] [--bootstrap <addr>]…`.
 * Parsing is pure (it never exits the process) so it is tested directly.
 */
import { resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError as FlagError, Option } from 'commander';
import type { EndpointAddr } from 'mosaik';
import { parseAddr } from './addr.js';
import { MAX_NICKNAME } from './model.js';

/** Everything a chat session is configured with. */
export interface ChatOptions {
  readonly nickname: string;
  readonly room: string;
  /** SGR foreground code of our nickname. */
  readonly color: number;
  readonly bootstrap: readonly EndpointAddr[];
  /** `host:port` of the Prometheus exporter. */
  readonly metrics?: string;
  /** `host:port` of the diagnostics server. */
  readonly diagnostics?: string;
  /** Log file (absolute); logs go to stderr without it. */
  readonly log?: string;
  /** `local`: loopback only, no relays, no DHT; `n0`: relays and address lookup. */
  readonly preset: 'local' | 'n0';
}

/** Colour names accepted by `--color`, with their SGR codes. */
export const COLOR_NAMES: Readonly<Record<string, number>> = Object.freeze({
  black: 30,
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
  white: 37,
  gray: 90,
  grey: 90,
  'bright-red': 91,
  'bright-green': 92,
  'bright-yellow': 93,
  'bright-blue': 94,
  'bright-magenta': 95,
  'bright-cyan': 96,
  'bright-white': 97,
});

/** `--color`: a name, or an SGR foreground code (30–37, 90–97). */
export function parseColor(value: string): number {
  const named = COLOR_NAMES[value.toLowerCase()];
  if (named !== undefined) return named;
  const n = Number(value);
  if (/^\d+$/.test(value) && ((n >= 30 && n <= 37) || (n >= 90 && n <= 97))) return n;
  throw new FlagError(
    `expected a colour name (${Object.keys(COLOR_NAMES).join(', ')}) or an SGR code 30–37 / 90–97`,
  );
}

/** `--nickname`: 1 to 32 characters, no control characters, trimmed. */
export function parseNickname(value: string): string {
  const trimmed = value.trim();
  if (trimmed === '' || trimmed.length > MAX_NICKNAME)
    throw new FlagError(`expected 1 to ${MAX_NICKNAME} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f]/.test(trimmed)) throw new FlagError('control characters are not allowed');
  return trimmed;
}

function addr(value: string, previous: EndpointAddr[] | undefined): EndpointAddr[] {
  try {
    return [...(previous ?? []), parseAddr(value)];
  } catch (error) {
    throw new FlagError((error as Error).message);
  }
}

function hostPort(value: string): string {
  if (!/^(?:\[[^\]]+\]|[^\s:[\]]+):\d{1,5}$/.test(value)) throw new FlagError('expected host:port');
  return value;
}

function room(value: string): string {
  if (value.trim() === '' || value.length > 128) throw new FlagError('expected 1 to 128 characters');
  return value;
}

/** The commander program (for `--help`). */
export function createCommand(): Command {
  return new Command('chat')
    .description(
      'Peer-to-peer group chat on mosaik: presence in a replicated Map, history in a replicated Vec.',
    )
    .option('-n, --nickname <name>', 'your display name', parseNickname, 'anon')
    .option('-r, --room <name>', 'room to join; the same name is the same network', room, 'lobby')
    .option(
      '-c, --color <code>',
      'colour of your nickname: a name or an SGR code (31 red … 36 cyan)',
      parseColor,
      32,
    )
    .option('-b, --bootstrap <addr>', 'a peer to join through, as printed by another chat (repeatable)', addr)
    .option('-p, --peer <addr>', 'alias of --bootstrap (repeatable)', addr)
    .option('-m, --metrics <host:port>', 'serve Prometheus metrics at http://host:port/metrics', hostPort)
    .option('--diagnostics <host:port>', 'serve the diagnostics view at http://host:port', hostPort)
    .option('--log <file>', 'write logs to this file instead of stderr (level from MOSAIK_LOG, default warn)')
    .addOption(
      new Option('--preset <preset>', 'transport: "local" (loopback only, no internet) or "n0" (relays, DHT)')
        .choices(['local', 'n0'])
        .default('n0'),
    )
    .helpOption('-h, --help', 'show this help')
    .showHelpAfterError(false)
    .allowExcessArguments(false);
}

/** What parsing the command line gave: options to run with, or text to print and an exit code. */
export type Parsed =
  | { readonly kind: 'run'; readonly options: ChatOptions }
  | { readonly kind: 'exit'; readonly code: number; readonly stdout: string; readonly stderr: string };

/**
 * Parses `args` (without `node` and the script). A leading `--` (as `pnpm start -- …` passes it)
 * is skipped. `cwd` resolves a relative `--log` path (pnpm runs scripts in the package folder,
 * so the caller passes the folder the user typed the command in).
 */
export function parseArgs(args: readonly string[], cwd: string = process.cwd()): Parsed {
  const argv = args[0] === '--' ? args.slice(1) : [...args];
  let stdout = '';
  let stderr = '';
  const cmd = createCommand()
    .exitOverride()
    .configureOutput({ writeOut: (s) => (stdout += s), writeErr: (s) => (stderr += s) });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError)
      return { kind: 'exit', code: error.exitCode === 0 ? 0 : 2, stdout, stderr };
    throw error;
  }
  const o = cmd.opts<{
    nickname: string;
    room: string;
    color: number;
    bootstrap?: EndpointAddr[];
    peer?: EndpointAddr[];
    metrics?: string;
    diagnostics?: string;
    log?: string;
    preset: 'local' | 'n0';
  }>();
  return {
    kind: 'run',
    options: {
      nickname: o.nickname,
      room: o.room,
      color: o.color,
      bootstrap: [...(o.bootstrap ?? []), ...(o.peer ?? [])],
      preset: o.preset,
      ...(o.metrics === undefined ? {} : { metrics: o.metrics }),
      ...(o.diagnostics === undefined ? {} : { diagnostics: o.diagnostics }),
      ...(o.log === undefined ? {} : { log: resolve(cwd, o.log) }),
    },
  };
}
