/**
 * Everything the chat prints, as pure functions of the data: coloured nicknames, message lines,
 * join/leave notices, the banner. Text from other peers is sanitized here, so no participant can
 * move the cursor, clear the screen or change colours in someone else's terminal.
 */
import type { ChatMessage, Presence } from './model.js';

/** How lines are painted. */
export interface Style {
  /** Emit ANSI colour sequences. */
  readonly colors: boolean;
}

/**
 * Whether to colour the output: never with `NO_COLOR` set (non-empty, as no-color.org says),
 * always with `FORCE_COLOR` set to something other than `0`, else only on a terminal.
 */
export function colorsEnabled(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '') return env.FORCE_COLOR !== '0';
  return isTTY;
}

// C0 controls (ESC included), DEL, C1 controls, and the bidi overrides that reorder what follows.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with every control character replaced by `�` (tabs become a space). */
export function sanitize(text: string): string {
  return text.replace(/\t/g, ' ').replace(UNSAFE, '\ufffd');
}

/** `text` in SGR colour `code` (reset after), or as is without colours. */
export function paint(text: string, code: number, style: Style): string {
  return style.colors ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** Dim text for notices (SGR 2), plain without colours. */
export function dim(text: string, style: Style): string {
  return style.colors ? `\x1b[2m${text}\x1b[0m` : text;
}

/** A sanitized, coloured nickname. */
export function nick(nickname: string, color: number, style: Style): string {
  return paint(sanitize(nickname), color, style);
}

/** A history line: `<nickname>: <text>`. */
export function formatMessage(m: ChatMessage, style: Style): string {
  return `${nick(m.nickname, m.color, style)}: ${sanitize(m.text)}`;
}

/** A presence change, as the notices print it. */
export type Notice =
  | { readonly kind: 'joined'; readonly peer: string; readonly presence: Presence }
  | { readonly kind: 'left'; readonly peer: string; readonly presence: Presence }
  | {
      readonly kind: 'renamed';
      readonly peer: string;
      readonly presence: Presence;
      readonly before: Presence;
    };

/** `* Alice joined`, `* Alice left`, `* Alice is now Bob`. */
export function formatNotice(n: Notice, style: Style): string {
  const who = nick(n.presence.nickname, n.presence.color, style);
  switch (n.kind) {
    case 'joined':
      return dim('* ', style) + who + dim(' joined', style);
    case 'left':
      return dim('* ', style) + who + dim(' left', style);
    case 'renamed':
      return `${dim('* ', style)}${nick(n.before.nickname, n.before.color, style)}${dim(' is now ', style)}${who}`;
  }
}

/** A section header such as `--- 3 participant(s) ---`. */
export function header(text: string, style: Style): string {
  return dim(`--- ${text} ---`, style);
}

/** `N thing(s)` with the reference's plural style. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}(s)`;
}

/** A participant's part in keeping the room's state: it votes, or it replicates as a learner. */
export type Role = 'voter' | 'learner';

/**
 * The `/who` listing: one line per participant, sorted by nickname, with its short peer id, its
 * role when known, and our own entry marked.
 */
export function formatWho(
  entries: Iterable<readonly [string, Presence]>,
  self: string,
  style: Style,
  roles: ReadonlyMap<string, Role> = new Map(),
): string[] {
  const list = [...entries].sort(([pa, a], [pb, b]) =>
    a.nickname === b.nickname ? (pa < pb ? -1 : 1) : a.nickname < b.nickname ? -1 : 1,
  );
  return [
    header(count(list.length, 'participant'), style),
    ...list.map(([peer, p]) => {
      const role = roles.get(peer);
      const tags = `(${peer.slice(0, 10)})${role === undefined ? '' : ` ${role}`}${peer === self ? ' (you)' : ''}`;
      return `  ${nick(p.nickname, p.color, style)} ${dim(tags, style)}`;
    }),
  ];
}
