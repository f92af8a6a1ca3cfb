/**
 * Snapshots of the list-shaped collections (Map, Set, Vec, PriorityQueue), written and read in
 * pieces. The bytes are CBOR `[kind, [item, ...]]`, where an item is a byte string or an array of
 * byte strings, every head in its shortest form: the same state always gives the same bytes,
 * however they are cut into pieces. The writer encodes lazily from a frozen view, so a large
 * snapshot is produced a piece at a time between other work; the reader accepts pieces cut
 * anywhere, even inside an item.
 */
import { DecodeError } from '@mosaik/id';
import type { CollectionKind } from './common.js';

/** Target size of one piece of an encoded snapshot. */
const PIECE = 64 * 1024;

const ARRAY: number = 4;
const BYTES: number = 2;
const TEXT: number = 3;

/** Appends CBOR heads and byte strings to pieces of about {@link PIECE} bytes. */
export class PieceWriter {
  #buf = new Uint8Array(PIECE);
  #pos = 0;

  /** A head of major type `major` with argument `n`, in its shortest form. */
  head(major: number, n: number): void {
    this.#room(9);
    const b = this.#buf;
    const m = major << 5;
    if (n < 24) {
      b[this.#pos++] = m | n;
    } else if (n < 0x100) {
      b[this.#pos++] = m | 24;
      b[this.#pos++] = n;
    } else if (n < 0x10000) {
      b[this.#pos++] = m | 25;
      b[this.#pos++] = n >>> 8;
      b[this.#pos++] = n & 0xff;
    } else if (n < 0x100000000) {
      b[this.#pos++] = m | 26;
      new DataView(b.buffer).setUint32(this.#pos, n);
      this.#pos += 4;
    } else {
      b[this.#pos++] = m | 27;
      new DataView(b.buffer).setBigUint64(this.#pos, BigInt(n));
      this.#pos += 8;
    }
  }

  /** An array head of `n` elements. */
  array(n: number): void {
    this.head(ARRAY, n);
  }

  /** A byte string. */
  bytes(value: Uint8Array): void {
    this.head(BYTES, value.length);
    this.#room(value.length);
    this.#buf.set(value, this.#pos);
    this.#pos += value.length;
  }

  /** A byte string given as a byte string key (one UTF-16 unit per byte, see keys.ts). */
  keyBytes(key: string): void {
    this.head(BYTES, key.length);
    this.#room(key.length);
    const b = this.#buf;
    for (let i = 0; i < key.length; i++) b[this.#pos++] = key.charCodeAt(i);
  }

  /** An ASCII text string. */
  ascii(text: string): void {
    this.head(TEXT, text.length);
    this.#room(text.length);
    for (let i = 0; i < text.length; i++) this.#buf[this.#pos++] = text.charCodeAt(i);
  }

  /** Whether a piece is ready to be taken. */
  get full(): boolean {
    return this.#pos >= PIECE;
  }

  /** The bytes written since the last `take` (the writer continues in a new buffer). */
  take(): Uint8Array {
    const out = this.#buf.subarray(0, this.#pos);
    this.#buf = new Uint8Array(PIECE);
    this.#pos = 0;
    return out;
  }

  #room(n: number): void {
    if (this.#pos + n <= this.#buf.length) return;
    const grown = new Uint8Array(Math.max(this.#buf.length * 2, this.#pos + n));
    grown.set(this.#buf.subarray(0, this.#pos));
    this.#buf = grown;
  }
}

/**
 * The pieces of `[kind, [item, ...]]` for `count` items, each written by `write`. Lazy: nothing
 * is encoded before the pieces are drawn.
 */
export function* listSnapshot<T>(
  kind: CollectionKind,
  count: number,
  items: Iterable<T>,
  write: (w: PieceWriter, item: T) => void,
): Iterable<Uint8Array> {
  const w = new PieceWriter();
  w.array(2);
  w.ascii(kind);
  w.array(count);
  let written = 0;
  for (const item of items) {
    write(w, item);
    written++;
    if (w.full) yield w.take();
  }
  // The view is frozen: a count that does not match is a bug, never a state to encode.
  if (written !== count) throw new Error(`snapshot of a ${kind} wrote ${written} of ${count} items`);
  yield w.take();
}

/** An item of a list snapshot: a byte string, or an array of byte strings. */
export type ListItem = Uint8Array | Uint8Array[];

/** `#head` found no complete head yet. */
const INCOMPLETE = -1;

/**
 * Reads the pieces of a list snapshot of `kind` and hands every item to `onItem`. Byte strings
 * are views into the pieces, not copies: a restored state shares the snapshot's bytes instead
 * of holding a second copy of them (snapshot bytes are never written to once made). Non-shortest
 * heads are accepted, so snapshots of earlier versions (encoded by a general CBOR encoder) read
 * the same.
 */
export class ListSnapshotReader {
  readonly #kind: CollectionKind;
  readonly #onItem: (item: ListItem) => void;
  /** Bytes received but not decoded yet (less than one item, plus the newest piece). */
  #pending: Uint8Array = new Uint8Array(0);
  #pos = 0;
  /** Major type of the head `#head` read last. */
  #major = 0;
  /** Items still expected; -1 before the header was read. */
  #left = -1;

  constructor(kind: CollectionKind, onItem: (item: ListItem) => void) {
    this.#kind = kind;
    this.#onItem = onItem;
  }

  /** Decodes what `piece` completes. @throws DecodeError */
  write(piece: Uint8Array): void {
    const rest = this.#pending.subarray(this.#pos);
    if (rest.length === 0) {
      this.#pending = piece;
    } else {
      const joined = new Uint8Array(rest.length + piece.length);
      joined.set(rest);
      joined.set(piece, rest.length);
      this.#pending = joined;
    }
    this.#pos = 0;
    if (this.#left < 0 && !this.#header()) return;
    while (this.#left > 0) {
      const start = this.#pos;
      const item = this.#item();
      if (item === undefined) {
        this.#pos = start;
        return;
      }
      this.#left--;
      this.#onItem(item);
    }
    if (this.#pos < this.#pending.length) this.#fail('trailing bytes');
  }

  /** Checks that the snapshot was complete. @throws DecodeError */
  end(): void {
    if (this.#left !== 0 || this.#pos < this.#pending.length) this.#fail('cut off');
  }

  #header(): boolean {
    const outer = this.#head();
    if (outer === INCOMPLETE) return false;
    if (this.#major !== ARRAY || outer !== 2) this.#notThisKind();
    const kind = this.#head();
    if (kind === INCOMPLETE) return this.#rewind();
    if (this.#major !== TEXT || kind !== this.#kind.length) this.#notThisKind();
    if (this.#pos + kind > this.#pending.length) return this.#rewind();
    for (let i = 0; i < kind; i++)
      if (this.#pending[this.#pos + i] !== this.#kind.charCodeAt(i)) this.#notThisKind();
    this.#pos += kind;
    const list = this.#head();
    if (list === INCOMPLETE) return this.#rewind();
    if (this.#major !== ARRAY) this.#fail('the body is not a list');
    this.#left = list;
    return true;
  }

  #rewind(): false {
    this.#pos = 0;
    return false;
  }

  /** The next item, or `undefined` if it is not complete yet. */
  #item(): ListItem | undefined {
    const n = this.#head();
    if (n === INCOMPLETE) return undefined;
    if (this.#major === BYTES) return this.#bytes(n);
    if (this.#major !== ARRAY) this.#fail('an item is neither bytes nor a list');
    // Items are small tuples; a huge count is malformed, not a reason to allocate.
    if (n > 16) this.#fail('an item has too many parts');
    const parts: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const size = this.#head();
      if (size === INCOMPLETE) return undefined;
      if (this.#major !== BYTES) this.#fail('a part of an item is not bytes');
      const b = this.#bytes(size);
      if (b === undefined) return undefined;
      parts.push(b);
    }
    return parts;
  }

  #bytes(n: number): Uint8Array | undefined {
    if (this.#pos + n > this.#pending.length) return undefined;
    const out = this.#pending.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /** Reads a head: sets `#major`, returns its argument, or `INCOMPLETE`. */
  #head(): number {
    const b = this.#pending;
    const at = this.#pos;
    if (at >= b.length) return INCOMPLETE;
    const first = b[at]!;
    this.#major = first >> 5;
    const info = first & 31;
    if (info < 24) {
      this.#pos = at + 1;
      return info;
    }
    if (info > 27) this.#fail('unsupported length encoding');
    const size = 1 << (info - 24);
    if (at + 1 + size > b.length) return INCOMPLETE;
    let n = 0;
    if (size <= 4) {
      for (let i = 1; i <= size; i++) n = n * 256 + b[at + i]!;
    } else {
      const big = new DataView(b.buffer, b.byteOffset + at + 1, 8).getBigUint64(0);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) this.#fail('length out of range');
      n = Number(big);
    }
    this.#pos = at + 1 + size;
    return n;
  }

  #notThisKind(): never {
    throw new DecodeError(`not a ${this.#kind} collection snapshot`);
  }

  #fail(what: string): never {
    throw new DecodeError(`invalid ${this.#kind} collection snapshot: ${what}`);
  }
}
