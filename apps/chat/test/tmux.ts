/**
 * A private tmux server (its own socket, no user configuration) holding one pseudo terminal, so
 * a test can type keys into the chat and read the screen exactly as a user would see it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaled } from 'mosaik';

const APP = fileURLToPath(new URL('..', import.meta.url));
let sessions = 0;

const quote = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;

/** One chat process in a tmux pane of `columns`×`rows`. */
export class TmuxChat {
  readonly #socket = `mosaik-chat-test-${process.pid}-${sessions++}`;
  /** The shell in the pane writes the chat's exit status here (tmux itself may not reap it in time). */
  readonly #dir = mkdtempSync(join(tmpdir(), 'mosaik-chat-tmux-'));

  /** Starts `chat <args…>` in a fresh pane; `env` is set for it (`undefined` values unset). */
  constructor(
    args: readonly string[],
    env: Record<string, string | undefined> = {},
    columns = 100,
    rows = 30,
  ) {
    const unset = Object.entries(env)
      .filter(([, v]) => v === undefined)
      .flatMap(([k]) => ['-u', k]);
    const set = Object.entries(env)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`);
    const command = [
      'env',
      ...unset,
      'RUST_LIB_BACKTRACE=0',
      `MOSAIK_LOG=${process.env.CHAT_TEST_LOG ?? 'warn'}`,
      ...set,
      process.execPath,
      '--conditions=@mosaik/source',
      '--import',
      'tsx',
      'src/main.ts',
      ...args,
    ]
      .map(quote)
      .join(' ');
    this.#tmux(
      'new-session',
      '-d',
      '-s',
      'chat',
      '-x',
      String(columns),
      '-y',
      String(rows),
      '-c',
      APP,
      `cd ${quote(APP)} && ${command}; echo $? > ${quote(join(this.#dir, 'status'))}`,
      ';',
      'set-option',
      '-w',
      '-t',
      'chat',
      'remain-on-exit',
      'on',
    );
  }

  #tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.#socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }

  /** Types text literally (no key names). */
  type(text: string): void {
    this.#tmux('send-keys', '-t', 'chat', '-l', text);
  }

  /** Presses keys by tmux name: `Enter`, `C-c`, `C-d`. */
  press(...keys: string[]): void {
    this.#tmux('send-keys', '-t', 'chat', ...keys);
  }

  /** The visible screen, one string per row, trailing blanks trimmed; with `escapes`, SGR sequences kept. */
  screen(escapes = false): string[] {
    const out = this.#tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []), '-t', 'chat');
    return out.split('\n').map((l) => l.replace(/\s+$/, ''));
  }

  /** The rows up to the last non-empty one. */
  rows(): string[] {
    const s = this.screen();
    let end = s.length;
    while (end > 0 && s[end - 1] === '') end--;
    return s.slice(0, end);
  }

  /** `undefined` while the chat runs, else its exit status. */
  exitStatus(): number | undefined {
    try {
      const text = readFileSync(join(this.#dir, 'status'), 'utf8').trim();
      return text === '' ? undefined : Number(text);
    } catch {
      return undefined;
    }
  }

  /** Waits until `probe(rows)` holds (deadline scaled by TIME_FACTOR). */
  async until(probe: (rows: string[]) => boolean, what: string, ms = 30_000): Promise<void> {
    const deadline = Date.now() + scaled(ms);
    for (;;) {
      const rows = this.rows();
      if (probe(rows)) return;
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; screen:\n${rows.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops the tmux server of this pane (and the chat, if it still runs). */
  close(): void {
    try {
      this.#tmux('kill-server');
    } catch {
      // Already gone.
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
