/**
 * pino loggers with the project's standard bindings (`network`, `peer`, `subsystem`). Library logs
 * go to stderr at `warn` unless told otherwise: a program's stdout belongs to the program.
 */
import { type DestinationStream, type Level, type Logger as PinoLogger, pino } from 'pino';

/** The logger every mosaik package takes: a pino logger (`child(bindings)`, `debug(obj, msg)`, …). */
export type Logger = PinoLogger;

/** A pino level, or `'silent'` (`'off'` is accepted as an alias). */
export type LogLevel = Level | 'silent';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Level; default `MOSAIK_LOG` from the environment, else `'warn'`. */
  readonly level?: LogLevel | 'off';
  /** Short network id binding. */
  readonly network?: string;
  /** Short peer id binding. */
  readonly peer?: string;
  /** Subsystem binding, e.g. `'discovery'`. */
  readonly subsystem?: string;
  /** Where lines go (default stderr, written synchronously so nothing is lost at exit). */
  readonly destination?: DestinationStream;
  /** Logger name (default `'mosaik'`). */
  readonly name?: string;
}

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** The level when neither the options nor `MOSAIK_LOG` choose one: only what needs attention. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'warn';

/**
 * The level to use: `requested` if given, else `MOSAIK_LOG`, else {@link DEFAULT_LOG_LEVEL}
 * (`'warn'`). Unknown names fall back to the default; `'off'`/`'none'` mean `'silent'`.
 */
export function resolveLogLevel(requested?: string): LogLevel {
  const env = typeof process === 'undefined' ? undefined : process.env.MOSAIK_LOG;
  const raw = (requested ?? env ?? DEFAULT_LOG_LEVEL).trim().toLowerCase();
  if (raw === 'off' || raw === 'none') return 'silent';
  return LEVELS.has(raw) ? (raw as LogLevel) : DEFAULT_LOG_LEVEL;
}

/** One stderr destination shared by every default logger of the process (one file descriptor writer). */
let stderr: DestinationStream | undefined;
function defaultDestination(): DestinationStream {
  stderr ??= pino.destination({ dest: 2, sync: true });
  return stderr;
}

/**
 * A JSON logger (pino) carrying the given bindings. Derive per-subsystem loggers with
 * `logger.child({ subsystem: 'streams' })`; ids are printed in their short form.
 *
 * ```ts
 * const log = createLogger({ network: networkId.short(), peer: peerId.short() });
 * log.child({ subsystem: 'discovery' }).info({ peers: 3 }, 'catalog synced');
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const bindings: Record<string, string> = {};
  if (options.network !== undefined) bindings.network = options.network;
  if (options.peer !== undefined) bindings.peer = options.peer;
  if (options.subsystem !== undefined) bindings.subsystem = options.subsystem;
  const config = { name: options.name ?? 'mosaik', level: resolveLogLevel(options.level), base: bindings };
  return pino(config, options.destination ?? defaultDestination());
}
