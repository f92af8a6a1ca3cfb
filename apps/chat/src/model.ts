/**
 * What the chat replicates: a presence entry per participant and the messages of the history,
 * with the checks every replica applies to values that arrive from the network (a peer running
 * a broken or hostile client must not be able to put junk into everybody's view).
 */
import { id, type NetworkId } from 'mosaik';

/** One participant's presence entry, keyed by its peer id (hex) in the presence Map. */
export interface Presence {
  readonly nickname: string;
  /** ANSI SGR foreground code of the nickname. */
  readonly color: number;
}

/** One line of the history Vec. */
export interface ChatMessage {
  /** Client-generated, unique: `<author short peer id>.<session>.<n>`; the dedupe key. */
  readonly id: string;
  /** Author's peer id (hex). */
  readonly peer: string;
  /** Author's nickname when it sent the line. */
  readonly nickname: string;
  readonly color: number;
  readonly text: string;
  /** Author's wall clock at send time (ms since the epoch); informative only. */
  readonly at: number;
}

/** Longest nickname, in UTF-16 units. */
export const MAX_NICKNAME = 32;
/** Longest message text, in UTF-16 units; longer input is refused before sending. */
export const MAX_TEXT = 2000;
const MAX_ID = 64;

/** The network of a room: every room is a network of its own. */
export function roomNetworkId(room: string): NetworkId {
  return id('mosaik.example.group-chat').derive(room);
}

/** Store names of the two collections (the same on every room network). */
export const PRESENCE_STORE = 'mosaik.example.group-chat.users';
export const HISTORY_STORE = 'mosaik.example.group-chat.messages';

const isColor = (c: unknown): c is number =>
  typeof c === 'number' && Number.isInteger(c) && c >= 0 && c <= 255;
const isShortString = (s: unknown, max: number): s is string => typeof s === 'string' && s.length <= max;

/** Whether a value from the network is a well-formed presence entry. */
export function isPresence(v: unknown): v is Presence {
  if (typeof v !== 'object' || v === null) return false;
  const p = v as Record<string, unknown>;
  return isShortString(p.nickname, MAX_NICKNAME) && p.nickname !== '' && isColor(p.color);
}

/** Whether a value from the network is a well-formed message. */
export function isChatMessage(v: unknown): v is ChatMessage {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    isShortString(m.id, MAX_ID) &&
    m.id !== '' &&
    isShortString(m.peer, 64) &&
    isShortString(m.nickname, MAX_NICKNAME) &&
    isColor(m.color) &&
    isShortString(m.text, MAX_TEXT) &&
    typeof m.at === 'number' &&
    Number.isFinite(m.at)
  );
}

/** A Standard Schema (v1) over a type guard, so the collections drop malformed values. */
export function guardSchema<T>(name: string, guard: (v: unknown) => v is T) {
  return {
    '~standard': {
      version: 1 as const,
      vendor: 'mosaik-chat',
      validate: (value: unknown) =>
        guard(value) ? { value } : { issues: [{ message: `not a well-formed ${name}` }] },
    },
  };
}

/** A short, stable handle for a peer id, as shown by `/who`. */
export function shortPeer(peerHex: string): string {
  return peerHex.slice(0, 10);
}

/** Whether `text` is a valid 64-hex peer id string (presence keys are). */
export function isPeerHex(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text);
}
