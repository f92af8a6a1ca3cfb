import type { ChildProcess } from 'node:child_process';

/** A message of the bench protocols: a tagged object. */
export interface Tagged {
  readonly t: string;
}

/**
 * A child process running a TypeScript bench script (`--conditions=@mosaik/source --import tsx`,
 * `BENCH_PROF=<dir>` for CPU profiles), receiving `In` and sending `Out` messages over IPC.
 */
export declare class BenchChild<In extends Tagged, Out extends Tagged> {
  /** The child process. */
  readonly proc: ChildProcess;
  /**
   * Forks `script` with `config` as its only argument (JSON).
   * @param options.name names the child in errors; `env` adds to the inherited environment.
   */
  constructor(script: string, config: unknown, options: { name: string; env?: NodeJS.ProcessEnv });
  send(m: In): void;
  /** The next message of type `t` (`ms` at most, default 60 s); throws when the child ends first. */
  next<K extends Out['t']>(t: K, ms?: number): Promise<Extract<Out, { t: K }>>;
  /** Asks the child to close everything and exit (`{ t: 'exit' }`); kills it after 10 s. */
  stop(): Promise<void>;
}

/**
 * Prints one benchmark line: `{"bench", "unit", "ours", "baseline", "baselineValue", "ratio"}`.
 * `value` undefined: the baseline was unavailable. The ratio is ours/baseline, or
 * baseline/ours with `lowerIsBetter`.
 */
export declare function line(
  bench: string,
  unit: string,
  ours: number,
  baseline: string,
  value: number | undefined,
  digits: number,
  lowerIsBetter?: boolean,
): void;
