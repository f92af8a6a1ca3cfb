// Shared by the benchmarks (dev only): a child process running a TypeScript bench script, with
// messages over IPC, and the JSON line every benchmark prints (CONTRIBUTING.md).
import { fork } from 'node:child_process';
import { once } from 'node:events';

/** A forked `tsx` child speaking `{ t: … }` messages over IPC. Types: `child.d.mts`. */
export class BenchChild {
  /** @type {import('node:child_process').ChildProcess} */
  proc;
  /** @type {{ t: string }[]} */
  #inbox = [];
  /** @type {(() => void) | undefined} */
  #waiter;
  /** @type {Promise<unknown>} */
  #exited;
  /** @type {string} */
  #name;

  /**
   * @param {string} script
   * @param {unknown} config passed as the child's only argument, as JSON
   * @param {{ name: string, env?: NodeJS.ProcessEnv }} options
   */
  constructor(script, config, { name, env = {} }) {
    this.#name = name;
    this.proc = fork(script, [JSON.stringify(config)], {
      execArgv: [
        '--conditions=@mosaik/source',
        '--import',
        'tsx',
        // BENCH_PROF=<dir>: a V8 CPU profile of every child process.
        ...(process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []),
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, RUST_LIB_BACKTRACE: '0', ...env },
    });
    this.#exited = once(this.proc, 'exit');
    this.proc.on('message', (/** @type {{ t: string }} */ m) => {
      this.#inbox.push(m);
      this.#waiter?.();
    });
    this.proc.on('exit', () => this.#waiter?.());
  }

  get #ended() {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  /** @param {{ t: string }} m */
  send(m) {
    this.proc.send(m);
  }

  /**
   * The next message of type `t` (`ms` at most).
   * @param {string} t
   * @param {number} [ms]
   */
  async next(t, ms = 60_000) {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.#inbox.findIndex((m) => m.t === t);
      if (i >= 0) return this.#inbox.splice(i, 1)[0];
      if (this.#ended || Date.now() > deadline)
        throw new Error(`bench ${this.#name} ended or timed out waiting for ${t}`);
      await new Promise((r) => {
        const timer = setTimeout(r, 500);
        this.#waiter = () => {
          clearTimeout(timer);
          r(undefined);
        };
      });
      this.#waiter = undefined;
    }
  }

  /** Asks the child to close everything and exit (`{ t: 'exit' }`); kills it after 10 s. */
  async stop() {
    if (this.#ended) return;
    if (this.proc.connected) {
      try {
        this.send({ t: 'exit' });
      } catch {
        this.proc.kill('SIGKILL');
      }
    }
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** @param {number} n @param {number} digits */
const round = (n, digits) => Number(n.toFixed(digits));

/**
 * Prints one benchmark line: `{"bench", "unit", "ours", "baseline", "baselineValue", "ratio"}`.
 * `value` undefined: the baseline was unavailable. The ratio is ours/baseline, or
 * baseline/ours with `lowerIsBetter`.
 * @param {string} bench
 * @param {string} unit
 * @param {number} ours
 * @param {string} baseline
 * @param {number | undefined} value
 * @param {number} digits
 * @param {boolean} [lowerIsBetter]
 */
export function line(bench, unit, ours, baseline, value, digits, lowerIsBetter = false) {
  const ratio = value === undefined ? null : round(lowerIsBetter ? value / ours : ours / value, 3);
  console.log(
    JSON.stringify({
      bench,
      unit,
      ours: round(ours, digits),
      baseline,
      baselineValue: value === undefined ? 'unavailable' : round(value, digits),
      ratio,
    }),
  );
}
