/**
 * The bytes of a group's Raft snapshot, and the sliced work on large ones. A snapshot is the
 * machine's state behind a small header naming the cluster; the driver builds it from the
 * machine's frozen view and feeds it back into a machine in slices, yielding to the event loop
 * between them, so a member holding a large state keeps answering heartbeats meanwhile.
 */
import { concatBytes, DecodeError, decodeCbor, encodeCbor } from '@mosaik/id';
import { type SnapshotSink, type SnapshotView, snapshotChunks } from './state-machine.js';

/**
 * First bytes of the current format: `\0ms2`, then a u32 BE header length, the CBOR header
 * `{ cluster }` and the machine's state as is. Earlier versions wrote one CBOR map
 * `{ cluster, state }`, which starts with a map head, never with a zero byte; it is still read.
 */
const MAGIC = [0x00, 0x6d, 0x73, 0x32] as const;
const PREFIX = 8;

/** How long one slice of snapshot work may hold the event loop, in ms. */
const SLICE_MS = 4;
/** The pieces a state is fed to a machine's sink in. */
const FEED_PIECE = 64 * 1024;

/** A snapshot opened: the cluster it belongs to and the machine's state (a view, not a copy). */
export interface Envelope {
  readonly cluster: string;
  readonly state: Uint8Array;
}

/** The pieces of a snapshot of `state` for `cluster`: the header, then the machine's own pieces. */
export function* envelopeChunks(cluster: string, state: Uint8Array | SnapshotView): Iterable<Uint8Array> {
  const header = encodeCbor({ cluster });
  const prefix = new Uint8Array(PREFIX + header.length);
  prefix.set(MAGIC, 0);
  new DataView(prefix.buffer).setUint32(4, header.length);
  prefix.set(header, PREFIX);
  yield prefix;
  yield* snapshotChunks(state);
}

/** Reads a snapshot's header. @throws DecodeError */
export function openEnvelope(bytes: Uint8Array): Envelope {
  if (bytes.length >= PREFIX && MAGIC.every((b, i) => bytes[i] === b)) {
    const end = PREFIX + new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4);
    if (end > bytes.length) throw new DecodeError('snapshot header is cut off');
    const header = decodeCbor(bytes.subarray(PREFIX, end)) as { cluster?: unknown } | null;
    if (typeof header !== 'object' || header === null || typeof header.cluster !== 'string')
      throw new DecodeError('invalid snapshot header');
    return { cluster: header.cluster, state: bytes.subarray(end) };
  }
  const v = decodeCbor(bytes) as { cluster?: unknown; state?: unknown } | null;
  if (
    typeof v !== 'object' ||
    v === null ||
    typeof v.cluster !== 'string' ||
    !(v.state instanceof Uint8Array)
  )
    throw new DecodeError('invalid snapshot envelope');
  return { cluster: v.cluster, state: v.state };
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
  #cluster: string | undefined;
  #legacy = false;

  /**
   * The next piece of the snapshot; returns the part of it that belongs to the machine's state
   * (empty while the header is incomplete). @throws DecodeError for a malformed header
   */
  write(piece: Uint8Array): Uint8Array {
    if (this.#cluster !== undefined) return piece;
    this.#head.push(piece);
    this.#headBytes += piece.length;
    if (this.#legacy || this.#headBytes < PREFIX) return EMPTY;
    const bytes = this.#head.length === 1 ? this.#head[0]! : concatBytes(...this.#head);
    this.#head = [bytes];
    if (!MAGIC.every((b, i) => bytes[i] === b)) {
      this.#legacy = true;
      return EMPTY;
    }
    const end = PREFIX + new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4);
    if (bytes.length < end) return EMPTY;
    const { cluster, state } = openEnvelope(bytes);
    this.#cluster = cluster;
    this.#head = [];
    return state;
  }

  /**
   * All pieces were written: the cluster the snapshot belongs to, and what is left of the state
   * (all of it for the earlier format). @throws DecodeError
   */
  end(): Envelope {
    if (this.#cluster !== undefined) return { cluster: this.#cluster, state: EMPTY };
    const envelope = openEnvelope(concatBytes(...this.#head));
    this.#head = [];
    this.#cluster = envelope.cluster;
    return envelope;
  }
}

const EMPTY = new Uint8Array(0);

/** The whole snapshot at once (small states, and the founder's first snapshot). */
export function encodeEnvelope(cluster: string, state: Uint8Array | SnapshotView): Uint8Array {
  return concatBytes(...envelopeChunks(cluster, state));
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Counts time spent on the event loop, and yields once a slice is used up. */
class Slicer {
  #start = performance.now();
  async pause(): Promise<void> {
    if (performance.now() - this.#start < SLICE_MS) return;
    await nextTurn();
    this.#start = performance.now();
  }
}

/**
 * Concatenates `chunks` (drawn lazily: this is where a machine's view gets encoded) in slices of
 * a few milliseconds. Resolves `undefined` as soon as `abandoned()` says the result is no longer
 * wanted.
 */
export async function collectSliced(
  chunks: Iterable<Uint8Array>,
  abandoned: () => boolean,
): Promise<Uint8Array | undefined> {
  const slicer = new Slicer();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const chunk of chunks) {
    parts.push(chunk);
    size += chunk.length;
    await slicer.pause();
    if (abandoned()) return undefined;
  }
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
    await slicer.pause();
    if (abandoned()) return undefined;
  }
  return out;
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
    await slicer.pause();
    if (abandoned()) return false;
  }
  return true;
}
