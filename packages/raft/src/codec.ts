import { type Codec, cborCodec, DecodeError } from '@mosaik/id';
import type { ConfState, Entry, HardState, Message, Snapshot, SnapshotMeta } from './types.js';
import { EntryType, MessageType } from './types.js';

/**
 * Validation of decoded values. Each function rebuilds a fresh object with only the known fields,
 * so nothing unexpected (extra keys, prototypes) reaches the core.
 */
type Obj = Record<string, unknown>;

function fail(what: string): never {
  throw new DecodeError(`invalid raft ${what}`);
}

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) fail(what);
  return v as Obj;
}

function uint(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(what);
  return v;
}

function str(v: unknown, what: string): string {
  if (typeof v !== 'string') fail(what);
  return v;
}

function bool(v: unknown, what: string): boolean {
  if (typeof v !== 'boolean') fail(what);
  return v;
}

function bytes(v: unknown, what: string): Uint8Array {
  if (!(v instanceof Uint8Array)) fail(what);
  return v;
}

function strings(v: unknown, what: string): string[] {
  if (!Array.isArray(v)) fail(what);
  return v.map((s) => str(s, what));
}

/** Validates a decoded configuration. */
export function toConfState(v: unknown): ConfState {
  const o = obj(v, 'configuration');
  return {
    voters: strings(o.voters, 'configuration voters'),
    learners: strings(o.learners, 'configuration learners'),
  };
}

/** Validates a decoded log entry. */
export function toEntry(v: unknown): Entry {
  const o = obj(v, 'entry');
  const type = o.type;
  const base = {
    term: uint(o.term, 'entry term'),
    index: uint(o.index, 'entry index'),
    data: bytes(o.data, 'entry data'),
  };
  if (type === EntryType.Normal) return { ...base, type: EntryType.Normal };
  if (type === EntryType.Conf) return { ...base, type: EntryType.Conf, conf: toConfState(o.conf) };
  return fail('entry type');
}

function toEntries(v: unknown): Entry[] {
  if (!Array.isArray(v)) fail('entries');
  const out = v.map(toEntry);
  for (let i = 1; i < out.length; i++)
    if (out[i]!.index !== out[i - 1]!.index + 1) fail('entries (not contiguous)');
  return out;
}

/** Validates a decoded hard state. */
export function toHardState(v: unknown): HardState {
  const o = obj(v, 'hard state');
  return {
    term: uint(o.term, 'hard state term'),
    vote: str(o.vote, 'vote'),
    commit: uint(o.commit, 'commit'),
  };
}

/** Validates decoded snapshot metadata. */
export function toSnapshotMeta(v: unknown): SnapshotMeta {
  const o = obj(v, 'snapshot meta');
  return {
    index: uint(o.index, 'snapshot index'),
    term: uint(o.term, 'snapshot term'),
    conf: toConfState(o.conf),
  };
}

/** Validates a decoded snapshot. */
export function toSnapshot(v: unknown): Snapshot {
  const o = obj(v, 'snapshot');
  return { meta: toSnapshotMeta(o.meta), data: bytes(o.data, 'snapshot data') };
}

/** Validates a decoded message. */
export function toMessage(v: unknown): Message {
  const o = obj(v, 'message');
  const env = { from: str(o.from, 'sender'), to: str(o.to, 'recipient'), term: uint(o.term, 'term') };
  switch (o.t) {
    case MessageType.Append:
    case MessageType.RelayedAppend: {
      const index = uint(o.index, 'index');
      const entries = toEntries(o.entries);
      if (entries.length > 0 && entries[0]!.index !== index + 1) fail('append (entries do not follow index)');
      const append = {
        ...env,
        index,
        logTerm: uint(o.logTerm, 'log term'),
        entries,
        commit: uint(o.commit, 'commit'),
      };
      return o.t === MessageType.Append
        ? { t: MessageType.Append, ...append }
        : { t: MessageType.RelayedAppend, ...append, leader: str(o.leader, 'leader') };
    }
    case MessageType.Relay: {
      const index = uint(o.index, 'index');
      const last = uint(o.last, 'last');
      if (last <= index) fail('relay (nothing to relay)');
      return {
        t: MessageType.Relay,
        ...env,
        target: str(o.target, 'relay target'),
        index,
        logTerm: uint(o.logTerm, 'log term'),
        last,
        lastTerm: uint(o.lastTerm, 'last term'),
        commit: uint(o.commit, 'commit'),
      };
    }
    case MessageType.AppendResp:
      return {
        t: MessageType.AppendResp,
        ...env,
        index: uint(o.index, 'index'),
        reject: bool(o.reject, 'reject'),
        hint: uint(o.hint, 'hint'),
        hintTerm: uint(o.hintTerm, 'hint term'),
      };
    case MessageType.Vote:
    case MessageType.PreVote:
      return {
        t: o.t,
        ...env,
        index: uint(o.index, 'index'),
        logTerm: uint(o.logTerm, 'log term'),
        force: bool(o.force, 'force'),
      };
    case MessageType.VoteResp:
    case MessageType.PreVoteResp:
      return {
        t: o.t,
        ...env,
        reject: bool(o.reject, 'reject'),
        ...(o.weak === undefined ? {} : { weak: bool(o.weak, 'weak') }),
      };
    case MessageType.Heartbeat:
      return {
        t: MessageType.Heartbeat,
        ...env,
        commit: uint(o.commit, 'commit'),
        round: uint(o.round, 'round'),
        ctx: str(o.ctx, 'context'),
      };
    case MessageType.HeartbeatResp:
      return {
        t: MessageType.HeartbeatResp,
        ...env,
        round: uint(o.round, 'round'),
        ctx: str(o.ctx, 'context'),
      };
    case MessageType.Snapshot: {
      const meta = toSnapshotMeta(o.meta);
      const offset = uint(o.offset, 'offset');
      const total = uint(o.total, 'total');
      const data = bytes(o.data, 'chunk');
      if (offset + data.length > total) fail('snapshot chunk (past the end)');
      return { t: MessageType.Snapshot, ...env, meta, offset, total, data };
    }
    case MessageType.SnapshotResp:
      return {
        t: MessageType.SnapshotResp,
        ...env,
        index: uint(o.index, 'index'),
        offset: uint(o.offset, 'offset'),
        reject: bool(o.reject, 'reject'),
      };
    case MessageType.TimeoutNow:
      return { t: MessageType.TimeoutNow, ...env };
    case MessageType.ReadIndex:
      return { t: MessageType.ReadIndex, ...env, ctx: str(o.ctx, 'context') };
    case MessageType.ReadIndexResp:
      return {
        t: MessageType.ReadIndexResp,
        ...env,
        index: uint(o.index, 'index'),
        ctx: str(o.ctx, 'context'),
      };
    default:
      return fail('message type');
  }
}

/** Wraps a CBOR codec with a validator: decode throws `DecodeError` only. */
function validated<T>(validate: (v: unknown) => T): Codec<T> {
  const cbor = cborCodec<unknown>();
  return {
    encode: (value: T) => cbor.encode(value),
    decode: (b: Uint8Array) => validate(cbor.decode(b)),
  };
}

/** CBOR codec of Raft messages. `decode` throws `DecodeError` for anything malformed. */
export const messageCodec: Codec<Message> = validated(toMessage);

/** CBOR codec of log entries (used by `FileStorage`). */
export const entryCodec: Codec<Entry> = validated(toEntry);
