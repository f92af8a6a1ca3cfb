/** Terminal output of the CLI: colours, tables and a spinner, all off when not on a terminal. */

/** Colour functions; identity when colours are off. */
export interface Palette {
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly green: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly red: (s: string) => string;
  readonly cyan: (s: string) => string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

/** A palette with colours when `on`. */
export function palette(on: boolean): Palette {
  const id = (s: string) => s;
  return on
    ? {
        bold: wrap(1, 22),
        dim: wrap(2, 22),
        green: wrap(32, 39),
        yellow: wrap(33, 39),
        red: wrap(31, 39),
        cyan: wrap(36, 39),
      }
    : { bold: id, dim: id, green: id, yellow: id, red: id, cyan: id };
}

/** Whether to colour stdout: a terminal, and neither `NO_COLOR` nor `--no-color`. */
export function wantsColour(flag: boolean | undefined): boolean {
  if (flag === false || process.env.NO_COLOR !== undefined) return false;
  return process.stdout.isTTY === true;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI escapes is the point.
const ANSI = /\x1b\[[0-9;]*m/g;

/** Length of `s` as shown (ANSI escapes excluded). */
function visible(s: string): number {
  return s.replace(ANSI, '').length;
}

/** A plain text table: a header row, then rows; cells are padded to the widest in the column. */
export function renderTable(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  p: Palette,
): string[] {
  const widths = head.map((h, i) => Math.max(visible(h), ...rows.map((r) => visible(r[i] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - visible(c))))
      .join('  ')
      .trimEnd();
  return [p.bold(line(head)), ...rows.map(line)];
}

/** A spinner on stderr while something is awaited; a no-op when `enabled` is false. */
export function spinner(text: string, enabled: boolean): { update(text: string): void; stop(): void } {
  if (!enabled) return { update() {}, stop() {} };
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let i = 0;
  let current = text;
  const draw = () => process.stderr.write(`\r\x1b[2K${frames[i++ % frames.length]} ${current}`);
  draw();
  const timer = setInterval(draw, 80);
  return {
    update(t) {
      current = t;
    },
    stop() {
      clearInterval(timer);
      process.stderr.write('\r\x1b[2K');
    },
  };
}
