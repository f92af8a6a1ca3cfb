/**
 * Chat processes for the tests, started as a user starts them: `node src/main.ts …` (through
 * tsx, on the workspace's TypeScript sources) with piped stdin/stdout, or inside a pseudo
 * terminal made by `script` from util-linux.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { scaled } from 'mosaik';

const APP = fileURLToPath(new URL('..', import.meta.url));
const NODE_ARGS = ['--conditions=@mosaik/source', '--import', 'tsx', 'src/main.ts'];

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI and carriage returns are stripped
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\r/g;

/** Options of {@link ChatProcess.start}. */
export interface StartOptions {
  /** Extra environment (NO_COLOR is unset unless given). */
  readonly env?: NodeJS.ProcessEnv;
  /** Run inside a pseudo terminal (`script -qfec`). */
  readonly pty?: boolean;
}

/** One running chat process. */
export class ChatProcess {
  readonly name: string;
  readonly proc: ChildProcess;
  /** Raw stdout, as received. */
  raw = '';
  /** Stdout split in lines, ANSI sequences removed. */
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  #partial = '';
  readonly #wakers = new Set<() => void>();

  private constructor(name: string, proc: ChildProcess) {
    this.name = name;
    this.proc = proc;
    this.exited = new Promise((resolve) =>
      proc.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
    );
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (chunk: string) => {
      this.raw += chunk;
      const parts = (this.#partial + chunk).split('\n');
      this.#partial = parts.pop()!;
      for (const p of parts) this.lines.push(p.replace(ANSI, ''));
      this.#wake();
    });
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    proc.on('exit', () => this.#wake());
  }

  /** Starts `chat --nickname <name> --preset local <args…>`. */
  static start(name: string, args: readonly string[] = [], options: StartOptions = {}): ChatProcess {
    const argv = [...NODE_ARGS, '--nickname', name, '--preset', 'local', ...args];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      RUST_LIB_BACKTRACE: '0',
      MOSAIK_LOG: process.env.CHAT_TEST_LOG ?? 'warn',
      ...options.env,
    };
    if (options.env?.NO_COLOR === undefined) delete env.NO_COLOR;
    delete env.FORCE_COLOR;
    const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const proc = options.pty
      ? spawn('script', ['-qfec', `stty cols 100 rows 30 2>/dev/null; exec node ${quoted}`, '/dev/null'], {
          cwd: APP,
          env: { ...env, TERM: 'xterm' },
          stdio: ['pipe', 'pipe', 'pipe'],
        })
      : spawn(process.execPath, argv, { cwd: APP, env, stdio: ['pipe', 'pipe', 'pipe'] });
    return new ChatProcess(name, proc);
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Types a line (a message or a command). */
  send(line: string): void {
    this.proc.stdin!.write(`${line}\n`);
  }

  /** Writes raw bytes to stdin (keys on a pseudo terminal). */
  type(text: string): void {
    this.proc.stdin!.write(text);
  }

  /** Closes stdin (EOF: the chat sends what it has, leaves and exits). */
  end(): void {
    this.proc.stdin!.end();
  }

  kill9(): void {
    this.proc.kill('SIGKILL');
  }

  /** Waits until `probe` over the lines returns something truthy (deadline scaled by TIME_FACTOR). */
  async until<T>(
    probe: (lines: readonly string[]) => T | undefined | false,
    what: string,
    ms = 30_000,
  ): Promise<T> {
    const deadline = Date.now() + scaled(ms);
    for (;;) {
      const v = probe(this.lines);
      if (v !== undefined && v !== false) return v;
      if (!this.running)
        throw new Error(`${this.name} exited while waiting for ${what}:\n${this.transcript()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name}: timed out waiting for ${what}:\n${this.transcript()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 500));
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#wakers.add(done);
      });
    }
  }

  /** Waits for a line equal to `line` (or matching it). */
  waitLine(line: string | RegExp, ms?: number): Promise<string> {
    return this.until(
      (lines) => lines.find((l) => (typeof line === 'string' ? l === line : line.test(l))),
      `line ${String(line)}`,
      ms,
    );
  }

  /** The address it printed, for `--bootstrap`. */
  address(): Promise<string> {
    return this.until(
      (lines) => lines.find((l) => l.startsWith('address: '))?.slice('address: '.length),
      'its address',
    );
  }

  /** Waits until the room is ready (the banner's last line). */
  ready(): Promise<string> {
    return this.waitLine(/^--- start typing/, 60_000);
  }

  /** Message lines `<nick>: <text>` in order. */
  messages(): string[] {
    return this.lines.filter(
      (l) => /^[^\s*-][^:]*: /.test(l) && !/^(local peer id|address|join from another terminal): /.test(l),
    );
  }

  /** Stdout and stderr, for failure messages. */
  transcript(): string {
    return `--- ${this.name} stdout ---\n${this.lines.join('\n')}\n--- ${this.name} stderr ---\n${this.stderr.slice(-4000)}`;
  }

  /** Kills the process if it still runs and waits for it to exit. */
  async close(): Promise<void> {
    if (this.running) this.proc.kill('SIGKILL');
    await this.exited;
  }

  #wake(): void {
    for (const w of [...this.#wakers]) {
      this.#wakers.delete(w);
      w();
    }
  }
}

/** Chat processes of one test, all killed at its end. */
export class Room {
  readonly #running: ChatProcess[] = [];

  start(name: string, args: readonly string[] = []): ChatProcess {
    const p = ChatProcess.start(name, args);
    this.#running.push(p);
    return p;
  }

  async close(): Promise<void> {
    await Promise.all(this.#running.splice(0).map((p) => p.close()));
  }
}

/** `who` is listed in `p`'s banner or announced as joined. */
export function present(p: ChatProcess, who: string): Promise<unknown> {
  return p.until(
    (lines) => lines.includes(`  ${who}`) || lines.includes(`* ${who} joined`),
    `${who} present`,
  );
}

/** Waits until `p` shows at least `n` message lines; returns them. */
export function messagesOf(p: ChatProcess, n: number, ms?: number): Promise<string[]> {
  return p.until(
    () => {
      const m = p.messages();
      return m.length >= n ? m : undefined;
    },
    `${n} messages`,
    ms,
  );
}

const started = Date.now();
/** Progress on stderr with `CHAT_TEST_STEPS=1`, to see where a slow run spends its time. */
export function step(what: string): void {
  if (process.env.CHAT_TEST_STEPS)
    process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${what}\n`);
}

/**
 * Sends `/who` until it lists every one of `names` as a voter of the room's collections. A test
 * that kills a participant waits for this first: while the autopilot promotes learners one at a
 * time, the room passes through two voters, and losing one of two stalls it.
 */
export async function votersAre(p: ChatProcess, names: readonly string[]): Promise<void> {
  const deadline = Date.now() + scaled(40_000);
  for (;;) {
    const from = p.lines.length;
    p.send('/who');
    const listing = await p.until((lines) => {
      const after = lines.slice(from);
      const start = after.findIndex((l) => /^--- \d+ participant\(s\) ---$/.test(l));
      if (start < 0) return undefined;
      const n = Number(/\d+/.exec(after[start]!)![0]);
      return after.length >= start + 1 + n ? after.slice(start + 1, start + 1 + n) : undefined;
    }, '/who listing');
    if (names.every((name) => listing.some((l) => l.startsWith(`  ${name} (`) && / voter( |$)/.test(l))))
      return;
    if (Date.now() > deadline) throw new Error(`${p.name}: not all voters: ${listing.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
