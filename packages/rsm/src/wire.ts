/**
 * The wire schema of ALPN `/mosaik/groups/1`: the bond handshake and the bond messages. One CBOR
 * object per frame, its `t` field naming the type. `decodeHandshake` and `decodeBondMessage`
 * validate every field and throw `DecodeError` only.
 */
import { DecodeError, decodeCbor, encodeCbor } from '@mosaik/id';

/** The groups protocol. */
export const GROUPS_ALPN = '/mosaik/groups/1';

/** Longest cluster id accepted on the wire. */
export const MAX_CLUSTER_ID = 128;

/** Handshake and bond message type tags. Stable: they are on the wire. */
export const WireType = {
  Hello: 1,
  Challenge: 2,
  Proof: 3,
  Welcome: 4,
  Ping: 10,
  Departure: 12,
  BondFormed: 13,
  Raft: 14,
  Forward: 15,
  ForwardAck: 16,
  ForwardNack: 17,
  PeerEntryUpdate: 19,
} as const;

/** Initiator → acceptor: which group, and the initiator's nonce. */
export interface Hello {
  readonly t: typeof WireType.Hello;
  readonly network: Uint8Array;
  readonly group: Uint8Array;
  readonly nonce: Uint8Array;
}

/** Acceptor → initiator: the acceptor's nonce and its proof of the key. */
export interface Challenge {
  readonly t: typeof WireType.Challenge;
  readonly nonce: Uint8Array;
  readonly proof: Uint8Array;
}

/** Initiator → acceptor: the initiator's proof. */
export interface Proof {
  readonly t: typeof WireType.Proof;
  readonly proof: Uint8Array;
}

/** Acceptor → initiator: bond established; the acceptor's other bonded peers, to bond with. */
export interface Welcome {
  readonly t: typeof WireType.Welcome;
  readonly peers: readonly Uint8Array[];
}

export type Handshake = Hello | Challenge | Proof | Welcome;

/** Leadership preference on the wire: 0 normal, 1 reluctant, 2 observer. */
export type WirePreference = 0 | 1 | 2;

/** What a member tells its bonded peers about itself with every ping (drives the autopilot). */
export interface PeerStatus {
  /** The id of the cluster this member belongs to (see `Group.cluster`); `''` while it has none. */
  readonly cluster: string;
  /**
   * The cluster this member's cluster lost a merge to (it had the shorter committed
   * log, or the higher cluster id on a tie): it waits to be added there and
   * then discards its state. `''` when not merging.
   */
  readonly yield: string;
  readonly term: number;
  readonly commit: number;
  /** The leader this member follows (hex), or `''`. */
  readonly lead: string;
  readonly pref: WirePreference;
  /**
   * The life of this member's storage while it waits to be admitted in it (it came back
   * without its log, or is new), else `''` (see admissions.ts). Absent from earlier versions.
   */
  readonly inc: string;
}

/** Heartbeat; carries the sender's status. */
export interface Ping {
  readonly t: typeof WireType.Ping;
  readonly status: PeerStatus;
}

/** The sender leaves the group: close the bond now, do not wait for heartbeats. */
export interface Departure {
  readonly t: typeof WireType.Departure;
}

/** The sender bonded with a peer; its signed entry (discovery wire form) so the receiver can dial it too. */
export interface BondFormed {
  readonly t: typeof WireType.BondFormed;
  readonly entry: unknown;
}

/** The sender's discovery entry changed (tickets): re-validate. */
export interface PeerEntryUpdate {
  readonly t: typeof WireType.PeerEntryUpdate;
  readonly entry: unknown;
}

/**
 * Raft messages of one tick for this peer, each encoded by `@mosaik/raft`'s `messageCodec`, tagged
 * with the sender's cluster: members of two clusters of one group never mix their logs.
 */
export interface RaftBatch {
  readonly t: typeof WireType.Raft;
  readonly c: string;
  readonly msgs: readonly Uint8Array[];
}

/** Follower → leader: propose these encoded commands. */
export interface Forward {
  readonly t: typeof WireType.Forward;
  readonly id: number;
  readonly cmds: readonly Uint8Array[];
}

/** Leader → follower: the forwarded commands were appended at `first..last` in `term`. */
export interface ForwardAck {
  readonly t: typeof WireType.ForwardAck;
  readonly id: number;
  readonly first: number;
  readonly last: number;
  readonly term: number;
}

/** Leader → follower: the commands were not appended (not the leader any more, or refused). */
export interface ForwardNack {
  readonly t: typeof WireType.ForwardNack;
  readonly id: number;
  readonly reason: string;
}

export type BondMessage =
  | Ping
  | Departure
  | BondFormed
  | PeerEntryUpdate
  | RaftBatch
  | Forward
  | ForwardAck
  | ForwardNack;

/** Encodes a handshake or bond message. */
export function encodeWire(message: Handshake | BondMessage): Uint8Array {
  return encodeCbor(message);
}

type Obj = Record<string, unknown>;

function fail(what: string): never {
  throw new DecodeError(`invalid groups ${what}`);
}

function obj(v: unknown, what: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) fail(what);
  return v as Obj;
}

function bytes(v: unknown, what: string, length?: number): Uint8Array {
  if (!(v instanceof Uint8Array)) fail(what);
  if (length !== undefined && v.length !== length) fail(what);
  return v;
}

function uint(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) fail(what);
  return v;
}

function str(v: unknown, what: string, max = 256): string {
  if (typeof v !== 'string' || v.length > max) fail(what);
  return v;
}

function byteList(v: unknown, what: string, max: number, itemLength?: number): Uint8Array[] {
  if (!Array.isArray(v) || v.length > max) fail(what);
  return v.map((x) => bytes(x, what, itemLength));
}

function parse(payload: Uint8Array): Obj {
  let value: unknown;
  try {
    value = decodeCbor(payload);
  } catch (error) {
    throw new DecodeError('malformed groups frame', { cause: error });
  }
  return obj(value, 'frame');
}

/** Decodes one handshake frame; throws `DecodeError`. */
export function decodeHandshake(payload: Uint8Array): Handshake {
  const o = parse(payload);
  switch (o.t) {
    case WireType.Hello:
      return {
        t: WireType.Hello,
        network: bytes(o.network, 'hello network', 32),
        group: bytes(o.group, 'hello group', 32),
        nonce: bytes(o.nonce, 'hello nonce', 32),
      };
    case WireType.Challenge:
      return {
        t: WireType.Challenge,
        nonce: bytes(o.nonce, 'challenge nonce', 32),
        proof: bytes(o.proof, 'challenge proof', 32),
      };
    case WireType.Proof:
      return { t: WireType.Proof, proof: bytes(o.proof, 'proof', 32) };
    case WireType.Welcome:
      return { t: WireType.Welcome, peers: byteList(o.peers, 'welcome peers', 1024, 32) };
    default:
      return fail('handshake type');
  }
}

function status(v: unknown): PeerStatus {
  const o = obj(v, 'status');
  const pref = uint(o.pref, 'status pref');
  if (pref > 2) fail('status pref');
  return {
    cluster: str(o.cluster, 'status cluster', MAX_CLUSTER_ID),
    yield: str(o.yield, 'status yield', MAX_CLUSTER_ID),
    term: uint(o.term, 'status term'),
    commit: uint(o.commit, 'status commit'),
    lead: str(o.lead, 'status lead', 64),
    pref: pref as WirePreference,
    inc: o.inc === undefined ? '' : str(o.inc, 'status inc', 32),
  };
}

/** Most messages a single Raft batch or forward may carry. */
export const MAX_BATCH = 100_000;

/** Decodes one bond message; throws `DecodeError`. */
export function decodeBondMessage(payload: Uint8Array): BondMessage {
  const o = parse(payload);
  switch (o.t) {
    case WireType.Ping:
      return { t: WireType.Ping, status: status(o.status) };
    case WireType.Departure:
      return { t: WireType.Departure };
    case WireType.BondFormed:
      if (o.entry === undefined) fail('bond-formed entry');
      return { t: WireType.BondFormed, entry: o.entry };
    case WireType.PeerEntryUpdate:
      if (o.entry === undefined) fail('entry update');
      return { t: WireType.PeerEntryUpdate, entry: o.entry };
    case WireType.Raft:
      return {
        t: WireType.Raft,
        c: str(o.c, 'raft cluster', MAX_CLUSTER_ID),
        msgs: byteList(o.msgs, 'raft batch', MAX_BATCH),
      };
    case WireType.Forward:
      return {
        t: WireType.Forward,
        id: uint(o.id, 'forward id'),
        cmds: byteList(o.cmds, 'forward', MAX_BATCH),
      };
    case WireType.ForwardAck: {
      const first = uint(o.first, 'ack first');
      const last = uint(o.last, 'ack last');
      if (last < first || first === 0) fail('ack range');
      return {
        t: WireType.ForwardAck,
        id: uint(o.id, 'ack id'),
        first,
        last,
        term: uint(o.term, 'ack term'),
      };
    }
    case WireType.ForwardNack:
      return { t: WireType.ForwardNack, id: uint(o.id, 'nack id'), reason: str(o.reason, 'nack reason') };
    default:
      return fail('bond message type');
  }
}
