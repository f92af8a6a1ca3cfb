/**
 * The bytes of a group's Raft snapshot, and the sliced work on large ones. A snapshot is the
 * machine's state behind a small header naming the cluster; the driver builds it from the
 * machine's frozen view and feeds it back into a machine in slices, yielding to the event loop
 * between them, so a member holding a large state keeps answering heartbeats meanwhile.
 */
import { once } from 'node:events';
import type { Transform } from 'node:stream';
import { createDeflateRaw, createInflateRaw, deflateRawSync, inflateRawSync } from 'node:zlib';
import { concatBytes, DecodeError, decodeCbor, encodeCbor } from '@mosaik/id';
import { type SnapshotSink, type SnapshotView, snapshotChunks } from './state-machine.js';

/**
 * First bytes of the current format: `\0ms2`, then a u32 BE header length, the CBOR header
 * `{ cluster, admitted? }` and the machine's state as is. Earlier versions wrote one CBOR map
 * `{ cluster, state }`, which starts with a map head, never with a zero byte; it is still read.
 */
const MAGIC = [0x00, 0x6d, 0x73, 0x32] as const;
/**
 * `\0mz2`: the same layout with the state compressed (raw DEFLATE). Large snapshots are written
 * this way: a snapshot crosses the network byte by byte through the transport's slowest path,
 * so every byte saved there counts more than the compression costs (which runs off the event
 * loop, in libuv's thread pool).
 */
const MAGIC_DEFLATED = [0x00, 0x6d, 0x7a, 0x32] as const;
const PREFIX = 8;
/** Fast compression: most of the gain for a fraction of the work of the default level. */
const DEFLATE_LEVEL = 1;

/** How many bytes of snapshot work (encoding, copying, feeding a machine) one slice does before
 * yielding to the event loop: a few milliseconds' worth. */
const SLICE_BYTES = 256 * 1024;
/** States up to this size are compressed in one synchronous call rather than in the thread pool. */
const SMALL_STATE = 256 * 1024;
/** Compressed states up to this size are inflated in one synchronous call at the end. */
const SMALL_COMPRESSED = 64 * 1024;
/** The pieces a state is fed to a machine's sink in. */
const FEED_PIECE = 64 * 1024;

/** What a snapshot records beside the machine's state. */
export interface SnapshotHeader {
  /** The cluster the snapshot belongs to. */
  readonly cluster: string;
  /**
   * `[member, incarnation]` for every member of the configuration admitted with one, sorted:
   * which life of a member the configuration took in (see the driver). Empty in snapshots of
   * earlier versions.
   */
  readonly admitted: readonly (readonly [string, string])[];
}

/** A snapshot opened: its header and the machine's state (a view, not a copy). */
export interface Envelope extends SnapshotHeader {
  readonly state: Uint8Array;
}

/** Most members a header may name. */
const MAX_ADMITTED = 100_000;

/** The pieces of a snapshot of `state`: the header, then the machine's own pieces. */
export function* envelopeChunks(
  header: SnapshotHeader,
  state: Uint8Array | SnapshotView,
): Iterable<Uint8Array> {
  yield envelopePrefix(MAGIC, header);
  yield* snapshotChunks(state);
}

function envelopePrefix(magic: readonly number[], { cluster, admitted }: SnapshotHeader): Uint8Array {
  const header = encodeCbor(admitted.length === 0 ? { cluster } : { cluster, admitted });
  const prefix = new Uint8Array(PREFIX + header.length);
  prefix.set(magic, 0);
  new DataView(prefix.buffer).setUint32(4, header.length);
  prefix.set(header, PREFIX);
  return prefix;
}

const startsWith = (bytes: Uint8Array, magic: readonly number[]) => magic.every((b, i) => bytes[i] === b);

/**
 * Opens a whole snapshot: its cluster and the machine's state (a view into `bytes`, or the
 * inflated state of a compressed one). @throws DecodeError
 */
export function openEnvelope(bytes: Uint8Array): Envelope {
  const deflated = bytes.length >= PREFIX && startsWith(bytes, MAGIC_DEFLATED);
  if (bytes.length >= PREFIX && (deflated || startsWith(bytes, MAGIC))) {
    const end = PREFIX + new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4);
    if (end > bytes.length) throw new DecodeError('snapshot header is cut off');
    const header = toHeader(decodeCbor(bytes.subarray(PREFIX, end)));
    const state = bytes.subarray(end);
    if (!deflated) return { ...header, state };
    try {
      return { ...header, state: inflateRawSync(state) };
    } catch (e) {
      throw new DecodeError('snapshot state does not inflate', { cause: e });
    }
  }
  const v = decodeCbor(bytes) as { cluster?: unknown; state?: unknown } | null;
  if (
    typeof v !== 'object' ||
    v === null ||
    typeof v.cluster !== 'string' ||
    !(v.state instanceof Uint8Array)
  )
    throw new DecodeError('invalid snapshot envelope');
  return { cluster: v.cluster, admitted: [], state: v.state };
}

/** Validates a decoded header. @throws DecodeError */
function toHeader(v: unknown): SnapshotHeader {
  const o = v as { cluster?: unknown; admitted?: unknown } | null;
  if (typeof o !== 'object' || o === null || typeof o.cluster !== 'string')
    throw new DecodeError('invalid snapshot header');
  if (o.admitted === undefined) return { cluster: o.cluster, admitted: [] };
  if (!Array.isArray(o.admitted) || o.admitted.length > MAX_ADMITTED)
    throw new DecodeError('invalid snapshot header: admitted');
  const admitted = o.admitted.map((pair: unknown) => {
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      typeof pair[0] !== 'string' ||
      typeof pair[1] !== 'string'
    )
      throw new DecodeError('invalid snapshot header: admitted member');
    return [pair[0], pair[1]] as const;
  });
  return { cluster: o.cluster, admitted };
}

/**
 * Reads a snapshot arriving in pieces: takes the header off the front and hands the machine's
 * state on as it comes, without holding it. (A snapshot in the earlier one-map format cannot be
 * split before it is complete: it is gathered and handed on whole at `end`.)
 */
export class EnvelopeReader {
  /** Bytes seen before the header was complete. */
  #head: Uint8Array[] = [];
  #headBytes = 0;
  #header: SnapshotHeader | undefined;
  #legacy = false;
  #deflated = false;

  /** Whether the state pieces `write` returns are compressed (see {@link Inflater}). Known once one was returned. */
  get deflated(): boolean {
    return this.#deflated;
  }

  /**
   * The next piece of the snapshot; returns the part of it that belongs to the machine's state
   * (empty while the header is incomplete). @throws DecodeError for a malformed header
   */
  write(piece: Uint8Array): Uint8Array {
    if (this.#header !== undefined) return piece;
    this.#head.push(piece);
    this.#headBytes += piece.length;
    if (this.#legacy || this.#headBytes < PREFIX) return EMPTY;
    const bytes = this.#head.length === 1 ? this.#head[0]! : concatBytes(...this.#head);
    this.#head = [bytes];
    const deflated = startsWith(bytes, MAGIC_DEFLATED);
    if (!deflated && !startsWith(bytes, MAGIC)) {
      this.#legacy = true;
      return EMPTY;
    }
    const end = PREFIX + new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4);
    if (bytes.length < end) return EMPTY;
    // The header alone: the state that follows is handed on as it is.
    const { cluster, admitted } = openEnvelope(envelopeHeaderOnly(bytes.subarray(0, end)));
    this.#header = { cluster, admitted };
    this.#deflated = deflated;
    this.#head = [];
    return bytes.subarray(end);
  }

  /**
   * All pieces were written: the header, and what is left of the state (all of it for the
   * earlier format). @throws DecodeError
   */
  end(): Envelope {
    if (this.#header !== undefined) return { ...this.#header, state: EMPTY };
    const envelope = openEnvelope(concatBytes(...this.#head));
    this.#head = [];
    this.#header = { cluster: envelope.cluster, admitted: envelope.admitted };
    return envelope;
  }
}

const EMPTY = new Uint8Array(0);

/** A header with the plain magic, so that opening it never inflates anything. */
function envelopeHeaderOnly(head: Uint8Array): Uint8Array {
  const out = head.slice();
  out.set(MAGIC, 0);
  return out;
}

/**
 * Inflates a compressed state piece by piece. Output comes in pieces of any size, in order; `end`
 * returns the rest. A small state (compressed input up to {@link SMALL_COMPRESSED}) is inflated in
 * one call at `end`; a larger one streams through libuv's thread pool, off the event loop.
 */
export class Inflater {
  /** Input held back while it may still be small. */
  #held: Uint8Array[] = [];
  #heldBytes = 0;
  #stream: ZlibPieces | undefined;

  /** Inflates `piece`; resolves with the output ready so far. @throws DecodeError for bad data */
  async write(piece: Uint8Array): Promise<Uint8Array[]> {
    if (this.#stream === undefined) {
      this.#held.push(piece);
      this.#heldBytes += piece.length;
      if (this.#heldBytes <= SMALL_COMPRESSED) return [];
      this.#stream = new ZlibPieces(createInflateRaw());
      piece = this.#release();
    }
    return notInflated(() => this.#stream!.write(piece));
  }

  /** No more input: the rest of the output. @throws DecodeError for bad or cut-off data */
  async end(): Promise<Uint8Array[]> {
    const stream = this.#stream;
    if (stream === undefined) {
      const input = this.#release();
      return notInflated(async () => [inflateRawSync(input)]);
    }
    return notInflated(() => stream.end());
  }

  /** Gives up (frees zlib's memory). */
  destroy(): void {
    this.#held = [];
    this.#stream?.destroy();
  }

  #release(): Uint8Array {
    const all = concatBytes(...this.#held);
    this.#held = [];
    this.#heldBytes = 0;
    return all;
  }
}

async function notInflated(inflate: () => Promise<Uint8Array[]>): Promise<Uint8Array[]> {
  try {
    return await inflate();
  } catch (e) {
    throw new DecodeError('snapshot state does not inflate', { cause: e });
  }
}

/** A zlib transform driven as "write a piece, take what came out". Rejects with zlib's error. */
class ZlibPieces {
  readonly #z: Transform;
  #out: Uint8Array[] = [];
  #error: unknown;
  readonly #failed: Promise<void>;

  constructor(z: Transform) {
    this.#z = z;
    z.on('data', (piece: Uint8Array) => this.#out.push(piece));
    this.#failed = new Promise((resolve) =>
      z.once('error', (error) => {
        this.#error = error;
        resolve();
      }),
    );
  }

  /** Writes `piece` (waiting only while zlib's input buffer is full); resolves with the output ready so far. */
  async write(piece: Uint8Array): Promise<Uint8Array[]> {
    if (piece.length > 0 && !this.#z.write(piece)) await Promise.race([once(this.#z, 'drain'), this.#failed]);
    return this.#take();
  }

  /** No more input: the rest of the output. */
  async end(): Promise<Uint8Array[]> {
    const ended = once(this.#z, 'end').then(() => undefined);
    this.#z.end();
    await Promise.race([ended, this.#failed]);
    return this.#take();
  }

  destroy(): void {
    this.#z.destroy();
  }

  #take(): Uint8Array[] {
    if (this.#error !== undefined) throw this.#error;
    const out = this.#out;
    this.#out = [];
    return out;
  }
}

/** The whole snapshot at once (small states, and the founder's first snapshot). */
export function encodeEnvelope(header: SnapshotHeader, state: Uint8Array | SnapshotView): Uint8Array {
  return concatBytes(...envelopeChunks(header, state));
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Counts the bytes of snapshot work done on the event loop, and yields once a slice's worth is
 * done. Work, not time: the same state is always cut at the same places, so a simulated group
 * replays exactly whatever the machine's speed.
 */
class Slicer {
  #done = 0;
  async pause(bytes: number): Promise<void> {
    this.#done += bytes;
    if (this.#done < SLICE_BYTES) return;
    this.#done = 0;
    await nextTurn();
  }
}

/**
 * Concatenates `chunks` (drawn lazily: this is where a machine's view gets encoded) in slices.
 * Resolves `undefined` as soon as `abandoned()` says the result is no longer wanted.
 */
export async function collectSliced(
  chunks: Iterable<Uint8Array>,
  abandoned: () => boolean,
): Promise<Uint8Array | undefined> {
  const slicer = new Slicer();
  const parts: Uint8Array[] = [];
  for (const chunk of chunks) {
    parts.push(chunk);
    await slicer.pause(chunk.length);
    if (abandoned()) return undefined;
  }
  return parts.length === 1 ? parts[0]! : joinSliced(parts, slicer, abandoned);
}

/** `parts` end to end, copied in slices; `undefined` once `abandoned()`. */
async function joinSliced(
  parts: readonly Uint8Array[],
  slicer: Slicer,
  abandoned: () => boolean,
): Promise<Uint8Array | undefined> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
    await slicer.pause(p.length);
    if (abandoned()) return undefined;
  }
  return out;
}

/**
 * A compressed snapshot of `state` behind `header`, built in slices: the machine's view is encoded
 * a slice at a time and, once it outgrows {@link SMALL_STATE}, compressed in libuv's thread pool,
 * so neither the encoding nor the uncompressed state is ever held whole. (A small state is
 * compressed in one call: cheaper than the round trip.) Resolves `undefined` as soon as
 * `abandoned()` says the result is no longer wanted. `stateBytes` is the size of the uncompressed
 * state.
 */
export async function compressSliced(
  header: SnapshotHeader,
  state: Uint8Array | SnapshotView,
  abandoned: () => boolean,
): Promise<{ data: Uint8Array; stateBytes: number } | undefined> {
  const slicer = new Slicer();
  const parts: Uint8Array[] = [envelopePrefix(MAGIC_DEFLATED, header)];
  let held: Uint8Array[] = [];
  let stateBytes = 0;
  let stream: ZlibPieces | undefined;
  try {
    for (const chunk of snapshotChunks(state)) {
      stateBytes += chunk.length;
      if (stream === undefined) {
        held.push(chunk);
        if (stateBytes > SMALL_STATE) {
          stream = new ZlibPieces(createDeflateRaw({ level: DEFLATE_LEVEL }));
          for (const piece of held) parts.push(...(await stream.write(piece)));
          held = [];
        }
      } else {
        parts.push(...(await stream.write(chunk)));
      }
      await slicer.pause(chunk.length);
      if (abandoned()) return undefined;
    }
    if (stream === undefined) parts.push(deflateRawSync(concatBytes(...held), { level: DEFLATE_LEVEL }));
    else parts.push(...(await stream.end()));
  } finally {
    stream?.destroy();
  }
  const data = await joinSliced(parts, slicer, abandoned);
  return data === undefined ? undefined : { data, stateBytes };
}

/**
 * Writes `state` to `sink` in pieces, yielding between slices; does not call `end`. Returns
 * false (and stops writing) as soon as `abandoned()` says the install is no longer wanted.
 */
export async function feedSliced(
  sink: SnapshotSink,
  state: Uint8Array,
  abandoned: () => boolean,
): Promise<boolean> {
  const slicer = new Slicer();
  for (let offset = 0; offset < state.length; offset += FEED_PIECE) {
    sink.write(state.subarray(offset, offset + FEED_PIECE));
    await slicer.pause(FEED_PIECE);
    if (abandoned()) return false;
  }
  return true;
}
