/**
 * The terminal side of the chat. On a terminal: a `node:readline` prompt that stays on the bottom
 * line while messages are printed above it, keeping what is being typed; a submitted line is
 * erased at once (its committed copy appears when the room has it, so nothing is echoed twice).
 * With a pipe on stdin or stdout: plain lines in, plain lines out, for scripts.
 */
import { clearScreenDown, createInterface, cursorTo, type Interface, moveCursor } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

/** What the chat needs from a terminal. */
export interface ChatTerminal {
  /** Prints one line of the chat view (above the prompt on a terminal). */
  print(line: string): void;
  /**
   * Runs `write`, which writes to another stream of the same terminal (stderr: logs), with the
   * prompt cleared first and redrawn after, so the two never garble each other.
   */
  aside(write: () => void): void;
  /** Changes the prompt (e.g. after `/nick`). */
  setPrompt(prompt: string): void;
  /** Stops reading and restores the terminal. */
  close(): void;
}

/** Callbacks of {@link openTerminal}. */
export interface TerminalEvents {
  /** A submitted line (without its newline). */
  readonly line: (text: string) => void;
  /** End of input: Ctrl-D on an empty prompt, or EOF of a pipe. */
  readonly end: () => void;
  /** Ctrl-C. */
  readonly interrupt: () => void;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI sequences start with ESC
const ANSI = /\x1b\[[0-9;]*m/g;

/** Columns a string takes (ANSI colour sequences take none). */
export function visibleLength(text: string): number {
  return text.replace(ANSI, '').length;
}

/** Terminal rows a prompt plus `typed` take on a screen `columns` wide (at least 1). */
export function rowsOf(promptAndText: number, columns: number): number {
  if (columns <= 0) return 1;
  return Math.max(1, Math.ceil(promptAndText / columns));
}

/**
 * Opens the terminal: interactive when both `input` and `output` are TTYs, line mode otherwise.
 */
export function openTerminal(
  input: Readable & { isTTY?: boolean },
  output: Writable & { isTTY?: boolean; columns?: number },
  prompt: string,
  events: TerminalEvents,
): ChatTerminal {
  const interactive = input.isTTY === true && output.isTTY === true;
  return interactive
    ? interactiveTerminal(input, output, prompt, events)
    : lineTerminal(input, output, events);
}

function lineTerminal(input: Readable, output: Writable, events: TerminalEvents): ChatTerminal {
  const rl = createInterface({ input, terminal: false, crlfDelay: Number.POSITIVE_INFINITY });
  rl.on('line', (text) => events.line(text));
  rl.on('close', () => events.end());
  const onSigint = () => events.interrupt();
  process.on('SIGINT', onSigint);
  return {
    print: (line) => {
      output.write(`${line}\n`);
    },
    aside: (write) => write(),
    setPrompt: () => {},
    close: () => {
      process.off('SIGINT', onSigint);
      rl.close();
    },
  };
}

function interactiveTerminal(
  input: Readable,
  output: Writable & { columns?: number },
  initialPrompt: string,
  events: TerminalEvents,
): ChatTerminal {
  let prompt = initialPrompt;
  let closed = false;
  const rl: Interface = createInterface({ input, output, terminal: true, prompt, historySize: 100 });
  const columns = () => output.columns ?? 80;

  rl.on('line', (text) => {
    // readline echoed the line and moved below it: erase it, the room's copy will replace it.
    moveCursor(output, 0, -rowsOf(visibleLength(prompt) + text.length, columns()));
    cursorTo(output, 0);
    clearScreenDown(output);
    events.line(text);
    if (!closed) rl.prompt();
  });
  rl.on('SIGINT', () => events.interrupt());
  rl.on('close', () => {
    if (!closed) events.end();
  });
  rl.prompt();

  // Clear the prompt (and any rows the typed text wrapped onto), write, then redraw the prompt
  // with what was being typed and the cursor where it was.
  const aside = (write: () => void) => {
    if (closed) return write();
    const rows = rl.getCursorPos().rows;
    if (rows > 0) moveCursor(output, 0, -rows);
    cursorTo(output, 0);
    clearScreenDown(output);
    write();
    rl.prompt(true);
  };

  return {
    print: (line) => aside(() => output.write(`${line}\n`)),
    aside,
    setPrompt: (next) => {
      prompt = next;
      rl.setPrompt(next);
      if (!closed) rl.prompt(true);
    },
    close: () => {
      if (closed) return;
      closed = true;
      cursorTo(output, 0);
      clearScreenDown(output);
      rl.close();
    },
  };
}
