/**
 * What one node tells about its own streams and groups: the payload of the status protocol
 * (`mosaik inspect` asks every peer for it) and the raw input of the diagnostics page. Plain
 * data only (hex ids, numbers, strings), so it encodes as CBOR and JSON alike. The decoder
 * checks every field: a report comes from another node and is never trusted.
 */
import { DecodeError, decodeCbor, encodeCbor } from '@mosaik/id';

/** One subscriber of a stream this node produces. */
export interface SubscriberReport {
  readonly peer: string;
  readonly state: string;
  /** Datums written to it so far. */
  readonly datums: number;
  readonly bytes: number;
  /** Frames in its queue now, and the queue's capacity. */
  readonly queued: number;
  readonly capacity: number;
  /** Datums it missed (queue full). */
  readonly dropped: number;
}

/** A stream this node produces. */
export interface ProducedStreamReport {
  readonly stream: string;
  readonly online: boolean;
  readonly datums: number;
  readonly dropped: number;
  readonly subscribers: readonly SubscriberReport[];
}

/** One producer a consumer of this node is attached to. */
export interface SourceReport {
  readonly peer: string;
  readonly state: string;
  readonly datums: number;
  readonly bytes: number;
}

/** A consumer on this node. */
export interface ConsumedStreamReport {
  readonly stream: string;
  readonly online: boolean;
  /** Datums taken by the application so far. */
  readonly datums: number;
  /** Datums received but not yet taken. */
  readonly queued: number;
  readonly producers: readonly SourceReport[];
}

/** One bond of a group member. */
export interface BondReport {
  readonly peer: string;
  readonly rttMs: number | null;
  /** Milliseconds since the peer was last heard. */
  readonly silenceMs: number;
  /** What the peer last said about itself. */
  readonly term: number | null;
  readonly commit: number | null;
  readonly cluster: string | null;
}

/**
 * What a replicated state machine tells about its data (collections: element count and
 * version). Groups whose machine says nothing leave it out.
 */
export interface MachineReport {
  readonly kind: string;
  readonly size: number | null;
  readonly version: number | null;
}

/** A group this node is a member of. */
export interface GroupReport {
  readonly group: string;
  readonly role: string;
  readonly term: number;
  readonly leader: string | null;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly voters: readonly string[];
  readonly learners: readonly string[];
  readonly observers: readonly string[];
  readonly cluster: string;
  readonly bonds: readonly BondReport[];
  readonly machine: MachineReport | null;
}

/** Everything one node reports about itself. */
export interface NodeReport {
  readonly peer: string;
  readonly network: string;
  /** When the report was taken, ms since the epoch (the reporter's clock). */
  readonly at: number;
  readonly produced: readonly ProducedStreamReport[];
  readonly consumed: readonly ConsumedStreamReport[];
  readonly groups: readonly GroupReport[];
}

/** Bounds that keep a hostile report from costing much. */
const MAX_ITEMS = 4096;
const MAX_STRING = 256;

type Obj = Record<string, unknown>;

function fail(path: string, what: string): never {
  throw new DecodeError('invalid_status_report', `status report: ${path} ${what}`);
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array)
    fail(path, 'is not a map');
  return v as Obj;
}

function str(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v.length > MAX_STRING) fail(`${path}.${key}`, 'is not a short string');
  return v;
}

function num(o: Obj, key: string, path: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${path}.${key}`, 'is not a number');
  return v;
}

function bool(o: Obj, key: string, path: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') fail(`${path}.${key}`, 'is not a boolean');
  return v;
}

function opt<T>(o: Obj, key: string, read: (o: Obj, key: string, path: string) => T, path: string): T | null {
  return o[key] === null || o[key] === undefined ? null : read(o, key, path);
}

function list<T>(o: Obj, key: string, path: string, item: (v: unknown, path: string) => T): T[] {
  const v = o[key];
  if (!Array.isArray(v) || v.length > MAX_ITEMS) fail(`${path}.${key}`, 'is not a bounded list');
  return v.map((x, i) => item(x, `${path}.${key}[${i}]`));
}

function strings(o: Obj, key: string, path: string): string[] {
  return list(o, key, path, (v, p) => {
    if (typeof v !== 'string' || v.length > MAX_STRING) fail(p, 'is not a short string');
    return v;
  });
}

function subscriber(v: unknown, p: string): SubscriberReport {
  const o = obj(v, p);
  return {
    peer: str(o, 'peer', p),
    state: str(o, 'state', p),
    datums: num(o, 'datums', p),
    bytes: num(o, 'bytes', p),
    queued: num(o, 'queued', p),
    capacity: num(o, 'capacity', p),
    dropped: num(o, 'dropped', p),
  };
}

function produced(v: unknown, p: string): ProducedStreamReport {
  const o = obj(v, p);
  return {
    stream: str(o, 'stream', p),
    online: bool(o, 'online', p),
    datums: num(o, 'datums', p),
    dropped: num(o, 'dropped', p),
    subscribers: list(o, 'subscribers', p, subscriber),
  };
}

function source(v: unknown, p: string): SourceReport {
  const o = obj(v, p);
  return {
    peer: str(o, 'peer', p),
    state: str(o, 'state', p),
    datums: num(o, 'datums', p),
    bytes: num(o, 'bytes', p),
  };
}

function consumed(v: unknown, p: string): ConsumedStreamReport {
  const o = obj(v, p);
  return {
    stream: str(o, 'stream', p),
    online: bool(o, 'online', p),
    datums: num(o, 'datums', p),
    queued: num(o, 'queued', p),
    producers: list(o, 'producers', p, source),
  };
}

function bond(v: unknown, p: string): BondReport {
  const o = obj(v, p);
  return {
    peer: str(o, 'peer', p),
    rttMs: opt(o, 'rttMs', num, p),
    silenceMs: num(o, 'silenceMs', p),
    term: opt(o, 'term', num, p),
    commit: opt(o, 'commit', num, p),
    cluster: opt(o, 'cluster', str, p),
  };
}

function machine(o: Obj, key: string, p: string): MachineReport {
  const m = obj(o[key], `${p}.${key}`);
  const mp = `${p}.${key}`;
  return { kind: str(m, 'kind', mp), size: opt(m, 'size', num, mp), version: opt(m, 'version', num, mp) };
}

function group(v: unknown, p: string): GroupReport {
  const o = obj(v, p);
  return {
    group: str(o, 'group', p),
    role: str(o, 'role', p),
    term: num(o, 'term', p),
    leader: opt(o, 'leader', str, p),
    commit: num(o, 'commit', p),
    applied: num(o, 'applied', p),
    lastIndex: num(o, 'lastIndex', p),
    voters: strings(o, 'voters', p),
    learners: strings(o, 'learners', p),
    observers: strings(o, 'observers', p),
    cluster: str(o, 'cluster', p),
    bonds: list(o, 'bonds', p, bond),
    machine: opt(o, 'machine', machine, p),
  };
}

/** Checks that `value` is a well-formed report. @throws {DecodeError} otherwise. */
export function validateReport(value: unknown): NodeReport {
  const o = obj(value, 'report');
  return {
    peer: str(o, 'peer', 'report'),
    network: str(o, 'network', 'report'),
    at: num(o, 'at', 'report'),
    produced: list(o, 'produced', 'report', produced),
    consumed: list(o, 'consumed', 'report', consumed),
    groups: list(o, 'groups', 'report', group),
  };
}

/** CBOR bytes of a report. */
export function encodeReport(report: NodeReport): Uint8Array {
  return encodeCbor(report);
}

/** Decodes and validates a report. @throws {DecodeError} on any malformed input. */
export function decodeReport(bytes: Uint8Array): NodeReport {
  let value: unknown;
  try {
    value = decodeCbor(bytes);
  } catch (cause) {
    throw new DecodeError('invalid_status_report', 'status report: not CBOR', { cause });
  }
  return validateReport(value);
}
