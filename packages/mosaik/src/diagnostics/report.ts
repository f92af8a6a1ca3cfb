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

/** Reads the field `key` of the map `o`; `path` names `o` in error messages. */
type Read<T> = (o: Obj, key: string, path: string) => T;

/** A decoder of one list item or nested map; `path` names the value in error messages. */
type Decode<T> = (v: unknown, path: string) => T;

function opt<T>(read: Read<T>): Read<T | null> {
  return (o, key, path) => (o[key] === null || o[key] === undefined ? null : read(o, key, path));
}

function list<T>(item: Decode<T>): Read<T[]> {
  return (o, key, path) => {
    const v = o[key];
    if (!Array.isArray(v) || v.length > MAX_ITEMS) fail(`${path}.${key}`, 'is not a bounded list');
    return v.map((x, i) => item(x, `${path}.${key}[${i}]`));
  };
}

const strings = list((v, p) => {
  if (typeof v !== 'string' || v.length > MAX_STRING) fail(p, 'is not a short string');
  return v;
});

/** A field holding a nested map. */
function nested<T>(decode: Decode<T>): Read<T> {
  return (o, key, path) => decode(o[key], `${path}.${key}`);
}

/**
 * A decoder of a map with exactly the listed fields, read in the order given (so the first bad
 * field is the one reported, and the decoded object keeps that key order).
 */
function record<T>(fields: { readonly [K in keyof T]-?: Read<T[K]> }): Decode<T> {
  return (v, path) => {
    const o = obj(v, path);
    const out: Obj = {};
    for (const key of Object.keys(fields)) out[key] = fields[key as keyof T](o, key, path);
    return out as T;
  };
}

const subscriber = record<SubscriberReport>({
  peer: str,
  state: str,
  datums: num,
  bytes: num,
  queued: num,
  capacity: num,
  dropped: num,
});

const produced = record<ProducedStreamReport>({
  stream: str,
  online: bool,
  datums: num,
  dropped: num,
  subscribers: list(subscriber),
});

const source = record<SourceReport>({ peer: str, state: str, datums: num, bytes: num });

const consumed = record<ConsumedStreamReport>({
  stream: str,
  online: bool,
  datums: num,
  queued: num,
  producers: list(source),
});

const bond = record<BondReport>({
  peer: str,
  rttMs: opt(num),
  silenceMs: num,
  term: opt(num),
  commit: opt(num),
  cluster: opt(str),
});

const machine = record<MachineReport>({ kind: str, size: opt(num), version: opt(num) });

const group = record<GroupReport>({
  group: str,
  role: str,
  term: num,
  leader: opt(str),
  commit: num,
  applied: num,
  lastIndex: num,
  voters: strings,
  learners: strings,
  observers: strings,
  cluster: str,
  bonds: list(bond),
  machine: opt(nested(machine)),
});

const report = record<NodeReport>({
  peer: str,
  network: str,
  at: num,
  produced: list(produced),
  consumed: list(consumed),
  groups: list(group),
});

/** Checks that `value` is a well-formed report. @throws {DecodeError} otherwise. */
export function validateReport(value: unknown): NodeReport {
  return report(value, 'report');
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
