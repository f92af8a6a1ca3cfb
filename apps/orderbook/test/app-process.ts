/**
 * Runs the orderbook command line as a child process, the way `pnpm start` does (the same node
 * flags, TypeScript sources through tsx, no build needed), and reads its stdout line by line.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { scaled } from 'mosaik';

/** The app's folder. */
export const APP_DIR = fileURLToPath(new URL('..', import.meta.url));

/** `node <flags>` of the package's `start` script, so tests run exactly what users run. */
function startCommand(): string[] {
  const pkg = JSON.parse(readFileSync(`${APP_DIR}/package.json`, 'utf8')) as { scripts: { start: string } };
  const [node, ...args] = pkg.scripts.start.split(/\s+/);
  if (node !== 'node') throw new Error(`unexpected start script: ${pkg.scripts.start}`);
  return args;
}

/** A running (or finished) app process. */
export class AppProcess {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  readonly #waiters = new Set<() => void>();

  constructor(args: readonly string[], options: { readonly stdin?: 'pipe' | 'ignore' } = {}) {
    this.proc = spawn(process.execPath, [...startCommand(), ...args], {
      cwd: APP_DIR,
      stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
      env: { ...process.env, RUST_LIB_BACKTRACE: '0', MOSAIK_LOG: process.env.APP_LOG ?? 'warn' },
    });
    let buffered = '';
    this.proc.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      this.lines.push(...parts);
      this.#wake();
    });
    this.proc.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code) => {
        if (buffered !== '') this.lines.push(buffered);
        this.#wake();
        resolve(code);
      });
    });
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** JSON events printed so far (with `--json`). */
  events(): Record<string, unknown>[] {
    return this.lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Waits (up to `ms`, scaled by TIME_FACTOR) until `probe` returns something, re-checking on every new line. */
  async until<T>(probe: () => T | undefined | false, what: string, ms = 30_000): Promise<T> {
    const deadline = Date.now() + scaled(ms);
    for (;;) {
      const found = probe();
      if (found !== undefined && found !== false) return found;
      if (!this.alive)
        throw new Error(
          `process exited while waiting for ${what}\nstdout:\n${this.lines.join('\n')}\nstderr:\n${this.stderr}`,
        );
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for ${what}\nstdout:\n${this.lines.slice(-20).join('\n')}\nstderr:\n${this.stderr.slice(-2000)}`,
        );
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#waiters.delete(done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, 500));
        this.#waiters.add(done);
      });
    }
  }

  /** The first JSON event with this name (and matching `where`), waiting for it. */
  event(name: string, where: (e: Record<string, unknown>) => boolean = () => true, ms?: number) {
    return this.until(() => this.events().find((e) => e.event === name && where(e)), `a '${name}' event`, ms);
  }

  /** Writes a line to stdin (started with `stdin: 'pipe'`). */
  send(line: string): void {
    this.proc.stdin?.write(`${line}\n`);
  }

  /** SIGKILL, and wait for the exit. */
  async kill(): Promise<void> {
    if (this.alive) this.proc.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (a clean leave), then SIGKILL if it has not exited after `ms`. */
  async stop(ms = 10_000): Promise<number | null> {
    if (this.alive) this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), scaled(ms));
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
