import {
  closeSync,
  existsSync,
  fdatasync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { open as openAsync, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { type Codec, cborCodec, MosaikError } from '@mosaik/id';
import { toEntry, toHardState, toSnapshot, toSnapshotMeta } from '../codec.js';
import {
  SnapshotOutOfDateError,
  SnapshotTransferError,
  StorageCorruptError,
  UnavailableError,
} from '../errors.js';
import type { ConfState, Entry, HardState, Snapshot, SnapshotMeta } from '../types.js';
import { emptyConf, emptyHardState } from '../types.js';
import { MemoryStorage } from './memory.js';
import { entrySize, newIncarnation, type SnapshotWriter, type Storage } from './storage.js';

/** Options of `FileStorage.open`. */
export interface FileStorageOptions {
  /**
   * Rewrite the log file (dropping compacted records) once it is this many bytes larger than
   * what it still needs. Default 64 MiB.
   */
  readonly rewriteSlack?: number;
  /**
   * For crash tests only: called at each named step of a multi-step write (see
   * `StorageFaultPoint`), typically to kill the process there (`process.kill(process.pid,
   * 'SIGKILL')`) and check that reopening the directory recovers. Costs nothing when unset.
   * Anything else than ending the process (e.g. throwing) leaves this instance unusable.
   */
  readonly faults?: (point: StorageFaultPoint) => void;
}

/**
 * The named steps of `FileStorage`'s multi-step writes where a crash test can stop the process.
 * A file replaced atomically (snapshot, rewritten log) is written to a temporary file, synced,
 * renamed over the old one, and the directory synced; the steps are named after the operation:
 *   `install:*`  `applySnapshot` and `receiveSnapshot` (a snapshot from the leader, whole or
 *                streamed chunk by chunk)
 *   `create:*`   `createSnapshot` and `createSnapshotAsync`
 *   `rewrite:*`  the log rewrite that `compact` starts once compacted records dominate the log
 * and the stage:
 *   `partial`    half of the temporary file is written
 *   `written`    the temporary file is complete and synced, not yet renamed
 *   `renamed`    the new file is in place; nothing else is updated yet (for `install`, the log
 *                does not record the snapshot yet; for `rewrite`, the old log is still open)
 * Besides: `compact:recorded` (the compaction record is written, before any rewrite) and
 * `append:partial` (half of an append's log record is written: a torn tail).
 */
export const storageFaultPoints = [
  'install:partial',
  'install:written',
  'install:renamed',
  'create:partial',
  'create:written',
  'create:renamed',
  'compact:recorded',
  'rewrite:partial',
  'rewrite:written',
  'rewrite:renamed',
  'append:partial',
] as const;

/** One of `storageFaultPoints`. */
export type StorageFaultPoint = (typeof storageFaultPoints)[number];

/** The stages of an atomic file replacement, as named in `StorageFaultPoint`. */
type ReplaceStage = 'partial' | 'written' | 'renamed';

/*
 * On-disk layout, in `dir`:
 *   log        append-only records: [u32 BE length][u32 BE crc32][CBOR payload]
 *   snapshot   replaced atomically (temporary file, fsync, rename, fsync of the directory):
 *              "MSN2" [u32 BE header length][u32 BE crc32 of the header]
 *              [CBOR header { meta, size, crc }][size bytes of data, crc32 = crc]
 *              A snapshot received from the leader in pieces is written as it arrives, before its
 *              checksum is known, so it goes in front, at a fixed place:
 *              "MSN3" [u32 BE header length][u32 BE crc32 of the header][u32 BE crc32 of the data]
 *              [CBOR header { meta, size }][size bytes of data]
 *              Older stores wrote one record of the log's shape holding { meta, data }; it is
 *              still read. The data follows its header raw, so a large snapshot is written and
 *              read back without re-encoding (or copying) it.
 * Log record payloads:
 *   { k: 'e', e: Entry[] }          append (truncating from e[0].index)
 *   { k: 'h', h: HardState }        hard state
 *   { k: 'c', i, t }                compaction: entries up to i (term t) are gone
 *   { k: 's', i, t }                the log restarts after (i, t) (snapshot installed, or rewrite base)
 */
type LogRecord =
  | { k: 'e'; e: Entry[] }
  | { k: 'h'; h: HardState }
  | { k: 'c'; i: number; t: number }
  | { k: 's'; i: number; t: number };

const HEADER = 8;
const LOG = 'log';
const SNAPSHOT = 'snapshot';
const TMP = '.tmp';
/** The store's life id (see `Storage.incarnation`), written once when the directory is new. */
const INCARNATION = 'incarnation';

/** "MSN2": the first bytes of a snapshot file in the current format. */
const SNAPSHOT_MAGIC = 0x4d534e32;
const SNAPSHOT_PREFIX = 12;
/** "MSN3": a snapshot file written piece by piece (the data's checksum in the fixed prefix). */
const STREAMED_MAGIC = 0x4d534e33;
const STREAMED_PREFIX = 16;
/** The temporary file of a snapshot being received. */
const RECEIVING = `${SNAPSHOT}.receiving${TMP}`;
/** How much data is checksummed between two yields to the event loop. */
const CRC_SLICE = 8 * 1024 * 1024;

const crc32: (data: Uint8Array, initial?: number) => number =
  typeof zlib.crc32 === 'function' ? (data, initial = 0) => zlib.crc32(data, initial) >>> 0 : crc32Portable;

let table: Uint32Array | undefined;
/** CRC-32 (IEEE), for Node versions before zlib.crc32 (20.15); `initial` continues a running one. */
function crc32Portable(data: Uint8Array, initial = 0): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = (initial ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export { crc32Portable as _crc32Portable };

function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, payload.length);
  view.setUint32(4, crc32(payload));
  out.set(payload, HEADER);
  return out;
}

const cbor: Codec<unknown> = cborCodec<unknown>();

function toRecord(v: unknown): LogRecord {
  if (typeof v !== 'object' || v === null) throw new StorageCorruptError('log record is not an object');
  const o = v as Record<string, unknown>;
  const num = (x: unknown) => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0)
      throw new StorageCorruptError('bad log record');
    return x;
  };
  switch (o.k) {
    case 'e':
      if (!Array.isArray(o.e)) throw new StorageCorruptError('bad entries record');
      return { k: 'e', e: o.e.map(toEntry) };
    case 'h':
      return { k: 'h', h: toHardState(o.h) };
    case 'c':
    case 's':
      return { k: o.k, i: num(o.i), t: num(o.t) };
    default:
      throw new StorageCorruptError('unknown log record');
  }
}

/** Builds the log state by replaying records. */
class Replay {
  hard: HardState = emptyHardState;
  offset = 0;
  boundaryTerm = 0;
  entries: Entry[] = [];

  term(i: number): number | undefined {
    if (i === this.offset) return this.boundaryTerm;
    return this.entries[i - this.offset - 1]?.term;
  }

  apply(r: LogRecord): void {
    switch (r.k) {
      case 'e': {
        let es = r.e;
        if (es.length === 0) return;
        const first = es[0]!.index;
        const last = this.offset + this.entries.length;
        if (first > last + 1)
          throw new StorageCorruptError(`log record at ${first} leaves a gap after ${last}`);
        if (first <= this.offset) es = es.slice(this.offset + 1 - first);
        if (es.length === 0) return;
        this.entries.length = es[0]!.index - this.offset - 1;
        for (const e of es) this.entries.push(e);
        return;
      }
      case 'h':
        this.hard = r.h;
        return;
      case 'c':
        if (r.i <= this.offset) return;
        this.entries = this.entries.slice(r.i - this.offset);
        this.offset = r.i;
        this.boundaryTerm = r.t;
        return;
      case 's':
        this.entries = [];
        this.offset = r.i;
        this.boundaryTerm = r.t;
        return;
    }
  }
}

/**
 * A durable `Storage`: an append-only log file with a CRC-32 per record and an atomically replaced
 * snapshot file. Reads are served from memory (the log is bounded by compaction). Writes reach
 * the OS immediately and the disk on `sync()`, which the caller runs when a `Ready` says
 * `mustSync`. On open, a torn tail (an incomplete or corrupt last record, from a crash
 * mid-write) is cut off; anything else that fails its checksum is a `StorageCorruptError`.
 */
export class FileStorage implements Storage {
  readonly dir: string;
  readonly #mem: MemoryStorage;
  readonly #rewriteSlack: number;
  readonly #faults: ((point: StorageFaultPoint) => void) | undefined;
  readonly incarnation: string | undefined;
  #fd: number;
  #logBytes: number;
  #closed = false;
  /** `syncAsync` calls still running on the log's descriptor: it must stay open (and in place) until they end. */
  #syncing = 0;
  /** The snapshot being received from the leader, if any (at most one at a time). */
  #receiving: { abort(): void } | undefined;

  private constructor(
    dir: string,
    mem: MemoryStorage,
    fd: number,
    logBytes: number,
    incarnation: string | undefined,
    options: FileStorageOptions,
  ) {
    this.dir = dir;
    this.incarnation = incarnation;
    this.#mem = mem;
    this.#fd = fd;
    this.#logBytes = logBytes;
    this.#rewriteSlack = options.rewriteSlack ?? 64 * 1024 * 1024;
    this.#faults = options.faults;
  }

  /**
   * Opens (or creates) the store in `dir`, recovering from a crash if needed.
   * @throws StorageCorruptError if a record other than the last one is damaged.
   */
  static open(dir: string, options: FileStorageOptions = {}): FileStorage {
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) if (f.endsWith(TMP)) unlinkSync(join(dir, f));
    const snapshot = readSnapshotFile(join(dir, SNAPSHOT));
    const logPath = join(dir, LOG);
    const fd = openSync(logPath, 'a+');
    let buf: Uint8Array;
    try {
      buf = readFileSync(logPath);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    const replay = new Replay();
    let pos = 0;
    try {
      pos = replayLog(buf, replay);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    if (pos < buf.length) {
      // Torn tail: drop it so new records follow the last good one.
      ftruncateSync(fd, pos);
      fsyncSync(fd);
    }
    const { index, term } = snapshot.meta;
    if (index < replay.offset) {
      closeSync(fd);
      throw new StorageCorruptError(`snapshot at ${index} is older than the log boundary ${replay.offset}`);
    }
    if (index > replay.offset && replay.term(index) !== term) {
      // The snapshot file was replaced but the crash came before the log recorded it: the
      // snapshot (committed state) wins over whatever the log held. The log says so now, or
      // the next entry appended after the snapshot would leave a gap in it.
      replay.entries = [];
      replay.offset = index;
      replay.boundaryTerm = term;
      const bytes = frame(cbor.encode({ k: 's', i: index, t: term } satisfies LogRecord));
      try {
        writeAll(fd, bytes);
        fsyncSync(fd);
      } catch (e) {
        closeSync(fd);
        throw e;
      }
      pos += bytes.length;
    }
    const mem = MemoryStorage.restore({
      hardState: replay.hard,
      snapshot,
      boundary: { index: replay.offset, term: replay.boundaryTerm },
      entries: replay.entries,
    });
    let incarnation: string | undefined;
    try {
      incarnation = openIncarnation(dir, mem);
    } catch (e) {
      closeSync(fd);
      throw e;
    }
    return new FileStorage(dir, mem, fd, pos, incarnation, options);
  }

  hardState(): HardState {
    return this.#mem.hardState();
  }

  entries(lo: number, hi: number, maxBytes?: number): Entry[] {
    return this.#mem.entries(lo, hi, maxBytes);
  }

  term(i: number): number | undefined {
    return this.#mem.term(i);
  }

  firstIndex(): number {
    return this.#mem.firstIndex();
  }

  lastIndex(): number {
    return this.#mem.lastIndex();
  }

  snapshot(): Snapshot {
    return this.#mem.snapshot();
  }

  setHardState(state: HardState): void {
    this.#mem.setHardState(state);
    this.#write({ k: 'h', h: state });
  }

  append(entries: readonly Entry[]): void {
    if (entries.length === 0) return;
    this.#mem.append(entries); // validates first: a gap throws before anything is written
    this.#write({ k: 'e', e: [...entries] });
  }

  createSnapshot(index: number, conf: ConfState, data: Uint8Array): Snapshot {
    const snap = this.#mem.createSnapshot(index, conf, data);
    this.#writeSnapshotFile(snap, 'create');
    return snap;
  }

  /**
   * `createSnapshot` for large snapshots: the checksum is computed in slices between other work
   * and the file is written and synced off the event loop, then renamed into place. Entries,
   * hard state and compactions may be written meanwhile. Fails with `SnapshotOutOfDateError`
   * (and leaves no file behind) if a snapshot at or past `index` was recorded meanwhile, e.g.
   * one installed from the leader.
   */
  async createSnapshotAsync(index: number, conf: ConfState, data: Uint8Array): Promise<Snapshot> {
    this.#checkOpen();
    const current = () => this.#mem.snapshot().meta.index;
    if (index <= current()) throw new SnapshotOutOfDateError(index, current());
    const term = this.#mem.term(index);
    if (term === undefined || index > this.#mem.lastIndex())
      throw new UnavailableError(index, this.#mem.lastIndex());
    let crc = 0;
    for (let off = 0; off < data.length; off += CRC_SLICE) {
      crc = crc32(data.subarray(off, off + CRC_SLICE), crc);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const head = snapshotHead({ index, term, conf }, data.length, crc);
    // A name of its own: a snapshot installed meanwhile writes the usual temporary file.
    const tmp = join(this.dir, `${SNAPSHOT}.${index}${TMP}`);
    const fh = await openAsync(tmp, 'w');
    try {
      const [first, rest] = halves([head, data], this.#faults !== undefined);
      const write = async (part: Uint8Array) => {
        let off = 0;
        while (off < part.length) off += (await fh.write(part, off, part.length - off)).bytesWritten;
      };
      for (const part of first) await write(part);
      this.#fault('create:partial');
      for (const part of rest) await write(part);
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.#fault('create:written');
    if (this.#closed || index <= current() || this.#mem.term(index) !== term) {
      await rm(tmp, { force: true });
      this.#checkOpen();
      throw new SnapshotOutOfDateError(index, current());
    }
    renameSync(tmp, join(this.dir, SNAPSHOT));
    syncDir(this.dir);
    this.#fault('create:renamed');
    return this.#mem.createSnapshot(index, conf, data);
  }

  compact(index: number): void {
    if (index <= this.#mem.firstIndex() - 1) return;
    this.#mem.compact(index);
    this.#write({ k: 'c', i: index, t: this.#mem.term(index)! });
    this.#fault('compact:recorded');
    this.#maybeRewrite();
  }

  applySnapshot(snapshot: Snapshot): void {
    const cur = this.#mem.snapshot().meta.index;
    if (snapshot.meta.index <= cur) throw new SnapshotOutOfDateError(snapshot.meta.index, cur);
    // Snapshot file first: if we crash before the log record, recovery still installs it.
    this.#writeSnapshotFile(snapshot, 'install');
    this.#mem.applySnapshot(snapshot);
    this.#write({ k: 's', i: snapshot.meta.index, t: snapshot.meta.term });
  }

  /**
   * Streams a snapshot from the leader to a temporary file as its pieces arrive (checksummed on
   * the way); `finish` syncs it, renames it over the snapshot file and records it in the log,
   * like `applySnapshot`. A crash before the rename leaves the previous snapshot as it was (the
   * temporary file is removed on open). The data is not kept in memory afterwards: `snapshot()`
   * reads it back from the file when asked for it. Starting another one abandons this one.
   */
  receiveSnapshot(meta: SnapshotMeta, total: number): SnapshotWriter {
    this.#checkOpen();
    const current = () => this.#mem.snapshot().meta.index;
    if (meta.index <= current()) throw new SnapshotOutOfDateError(meta.index, current());
    this.#receiving?.abort();
    const path = join(this.dir, RECEIVING);
    const head = streamedHead(meta, total);
    let fd: number | undefined = openSync(path, 'w');
    let position = 0;
    let crc = 0;
    const release = () => {
      if (fd === undefined) return;
      closeSync(fd);
      fd = undefined;
      if (this.#receiving === writer) this.#receiving = undefined;
    };
    const open = (): number => {
      if (fd === undefined) throw new SnapshotTransferError('the snapshot was finished or abandoned');
      return fd;
    };
    const writer: SnapshotWriter = {
      write: (piece) => {
        const f = open();
        if (position + piece.length > total)
          throw new SnapshotTransferError(`${position + piece.length} bytes is past the total ${total}`);
        const half = total >>> 1;
        const crossesHalf = this.#faults !== undefined && position < half && position + piece.length >= half;
        writeAll(f, piece, head.length + position);
        crc = crc32(piece, crc);
        position += piece.length;
        if (crossesHalf) this.#fault('install:partial');
      },
      finish: () => {
        const f = open();
        this.#checkOpen();
        if (position !== total) throw new SnapshotTransferError(`${position} of ${total} bytes received`);
        if (meta.index <= current()) {
          writer.abort();
          throw new SnapshotOutOfDateError(meta.index, current());
        }
        new DataView(head.buffer, head.byteOffset).setUint32(12, crc);
        writeAll(f, head, 0);
        fsyncSync(f);
        release();
        this.#fault('install:written');
        // Snapshot file first: if we crash before the log record, recovery still installs it.
        renameSync(path, join(this.dir, SNAPSHOT));
        syncDir(this.dir);
        this.#fault('install:renamed');
        this.#mem.applySnapshot(new DiskSnapshot(meta, total, join(this.dir, SNAPSHOT)));
        this.#write({ k: 's', i: meta.index, t: meta.term });
      },
      abort: () => {
        if (fd === undefined) return;
        release();
        rmSync(path, { force: true });
      },
    };
    this.#receiving = writer;
    try {
      writeAll(fd, head, 0);
    } catch (e) {
      writer.abort();
      throw e;
    }
    return writer;
  }

  sync(): void {
    this.#checkOpen();
    fsyncSync(this.#fd);
  }

  /**
   * `sync` in the thread pool. `fdatasync` suffices: the log only grows by appends, and it still
   * flushes the file size, which reading the records back needs.
   */
  syncAsync(): Promise<void> {
    this.#checkOpen();
    const fd = this.#fd;
    this.#syncing++;
    return new Promise<void>((resolve, reject) => {
      fdatasync(fd, (error) => {
        this.#syncing--;
        // Closed meanwhile: the descriptor was kept open for this call; the last one closes it.
        if (this.#closed && this.#syncing === 0) closeSync(fd);
        if (error === null) resolve();
        else reject(error);
      });
    });
  }

  /** Syncs and closes the log file (once a running `syncAsync` ended, if any). */
  close(): void {
    if (this.#closed) return;
    this.#receiving?.abort();
    fsyncSync(this.#fd);
    this.#closed = true;
    if (this.#syncing === 0) closeSync(this.#fd);
  }

  #checkOpen(): void {
    if (this.#closed) throw new MosaikError('closed', 'file storage is closed');
  }

  /** Calls the `faults` hook (crash tests) at a named step of a write. */
  #fault(point: StorageFaultPoint): void {
    this.#faults?.(point);
  }

  /** The `faults` hook for the stages of an atomic file replacement by `op`, if one is set. */
  #stages(op: 'install' | 'create' | 'rewrite'): ((stage: ReplaceStage) => void) | undefined {
    return this.#faults === undefined ? undefined : (stage) => this.#fault(`${op}:${stage}`);
  }

  #write(r: LogRecord): void {
    this.#checkOpen();
    const bytes = frame(cbor.encode(r));
    if (this.#faults !== undefined && r.k === 'e') {
      const [first, rest] = halves([bytes], true);
      writeAll(this.#fd, first[0]!);
      this.#fault('append:partial');
      writeAll(this.#fd, rest[0]!);
    } else {
      writeAll(this.#fd, bytes);
    }
    this.#logBytes += bytes.length;
  }

  #writeSnapshotFile(snap: Snapshot, op: 'install' | 'create'): void {
    this.#checkOpen();
    const head = snapshotHead(snap.meta, snap.data.length, crc32(snap.data));
    writeFileAtomic(this.dir, SNAPSHOT, [head, snap.data], this.#stages(op));
  }

  /** Replaces the log with a compact one once compacted records dominate it. */
  #maybeRewrite(): void {
    // A `syncAsync` still works on the current descriptor: rewrite at a later compaction.
    if (this.#syncing > 0) return;
    const first = this.#mem.firstIndex();
    const last = this.#mem.lastIndex();
    const live = last >= first ? this.#mem.entries(first, last + 1) : [];
    let liveBytes = 0;
    for (const e of live) liveBytes += entrySize(e);
    if (this.#logBytes - liveBytes < this.#rewriteSlack) return;
    const parts = [
      frame(cbor.encode({ k: 's', i: first - 1, t: this.#mem.term(first - 1)! })),
      frame(cbor.encode({ k: 'h', h: this.#mem.hardState() })),
    ];
    if (live.length > 0) parts.push(frame(cbor.encode({ k: 'e', e: live })));
    const total = parts.reduce((n, p) => n + p.length, 0);
    fsyncSync(this.#fd);
    writeFileAtomic(this.dir, LOG, parts, this.#stages('rewrite'));
    closeSync(this.#fd);
    this.#fd = openSync(join(this.dir, LOG), 'a');
    this.#logBytes = total;
  }
}

/** Replays framed records into `replay`; returns the offset after the last good record. */
function replayLog(buf: Uint8Array, replay: Replay): number {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 0;
  while (pos < buf.length) {
    if (buf.length - pos < HEADER) return pos; // torn header
    const len = view.getUint32(pos);
    const end = pos + HEADER + len;
    if (end > buf.length) return pos; // torn payload
    const payload = buf.subarray(pos + HEADER, end);
    const last = end === buf.length;
    let record: LogRecord;
    try {
      if (crc32(payload) !== view.getUint32(pos + 4)) throw new StorageCorruptError('checksum mismatch');
      record = toRecord(cbor.decode(payload));
    } catch (e) {
      // The last record may be half-written; a damaged record followed by others is real corruption.
      if (last) return pos;
      throw new StorageCorruptError(`log record at byte ${pos} is damaged`, { cause: e });
    }
    replay.apply(record);
    pos = end;
  }
  return pos;
}

/** The bytes in front of a snapshot's data in its file. */
function snapshotHead(meta: Snapshot['meta'], size: number, crc: number): Uint8Array {
  return framedHeader(SNAPSHOT_MAGIC, SNAPSHOT_PREFIX, { meta, size, crc });
}

/**
 * A snapshot file's head: `magic`, the CBOR header's length and checksum in a `prefix`-byte
 * prefix (the rest of which a format may use), then the header itself.
 */
function framedHeader(magic: number, prefix: number, fields: object): Uint8Array {
  const header = cbor.encode(fields);
  const out = new Uint8Array(prefix + header.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic);
  view.setUint32(4, header.length);
  view.setUint32(8, crc32(header));
  out.set(header, prefix);
  return out;
}

function readSnapshotFile(path: string): Snapshot {
  let buf: Uint8Array;
  try {
    buf = readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return { meta: { index: 0, term: 0, conf: emptyConf }, data: new Uint8Array(0) };
    }
    throw e;
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length >= SNAPSHOT_PREFIX && view.getUint32(0) === SNAPSHOT_MAGIC) return readSnapshotV2(buf, view);
  if (buf.length >= STREAMED_PREFIX && view.getUint32(0) === STREAMED_MAGIC) return readStreamed(buf, view);
  if (buf.length < HEADER || view.getUint32(0) !== buf.length - HEADER) {
    throw new StorageCorruptError('snapshot file has a bad length');
  }
  const payload = buf.subarray(HEADER);
  if (crc32(payload) !== view.getUint32(4)) throw new StorageCorruptError('snapshot file checksum mismatch');
  try {
    return toSnapshot(cbor.decode(payload));
  } catch (e) {
    throw new StorageCorruptError('snapshot file is malformed', { cause: e });
  }
}

function readSnapshotV2(buf: Uint8Array, view: DataView): Snapshot {
  const headerEnd = SNAPSHOT_PREFIX + view.getUint32(4);
  if (headerEnd > buf.length) throw new StorageCorruptError('snapshot file header is cut off');
  const header = buf.subarray(SNAPSHOT_PREFIX, headerEnd);
  if (crc32(header) !== view.getUint32(8)) throw new StorageCorruptError('snapshot header checksum mismatch');
  let meta: Snapshot['meta'];
  let size: unknown;
  let crc: unknown;
  try {
    const h = cbor.decode(header) as { meta?: unknown; size?: unknown; crc?: unknown };
    meta = toSnapshotMeta(h.meta);
    size = h.size;
    crc = h.crc;
  } catch (e) {
    throw new StorageCorruptError('snapshot file header is malformed', { cause: e });
  }
  if (size !== buf.length - headerEnd) throw new StorageCorruptError('snapshot file has a bad length');
  // A view into the file's buffer: the data is not copied again.
  const data = new Uint8Array(buf.buffer, buf.byteOffset + headerEnd, buf.length - headerEnd);
  if (crc32(data) !== crc) throw new StorageCorruptError('snapshot file checksum mismatch');
  return { meta, data };
}

/** Writes all of `bytes`, at the file's current position or at `position`. */
function writeAll(fd: number, bytes: Uint8Array, position?: number): void {
  let off = 0;
  while (off < bytes.length) {
    const at = position === undefined ? null : position + off;
    off += writeSync(fd, bytes, off, bytes.length - off, at);
  }
}

/**
 * The fixed prefix and header of a snapshot written piece by piece; the data's checksum (bytes
 * 12..16) is filled in once all of it was written.
 */
function streamedHead(meta: SnapshotMeta, size: number): Uint8Array {
  return framedHeader(STREAMED_MAGIC, STREAMED_PREFIX, { meta, size });
}

function readStreamed(buf: Uint8Array, view: DataView): Snapshot {
  const headerEnd = STREAMED_PREFIX + view.getUint32(4);
  if (headerEnd > buf.length) throw new StorageCorruptError('snapshot file header is cut off');
  const header = buf.subarray(STREAMED_PREFIX, headerEnd);
  if (crc32(header) !== view.getUint32(8)) throw new StorageCorruptError('snapshot header checksum mismatch');
  let meta: Snapshot['meta'];
  let size: unknown;
  try {
    const h = cbor.decode(header) as { meta?: unknown; size?: unknown };
    meta = toSnapshotMeta(h.meta);
    size = h.size;
  } catch (e) {
    throw new StorageCorruptError('snapshot file header is malformed', { cause: e });
  }
  if (size !== buf.length - headerEnd) throw new StorageCorruptError('snapshot file has a bad length');
  const data = new Uint8Array(buf.buffer, buf.byteOffset + headerEnd, buf.length - headerEnd);
  if (crc32(data) !== view.getUint32(12)) throw new StorageCorruptError('snapshot file checksum mismatch');
  return { meta, data };
}

/**
 * A snapshot that lives in its file only: the data is read back (and checked) each time it is
 * asked for, and not kept, so a member that installed a large snapshot does not also hold its
 * bytes. Its users read `data` once per use (a transfer to a follower, a restore).
 */
class DiskSnapshot implements Snapshot {
  constructor(
    readonly meta: SnapshotMeta,
    readonly size: number,
    readonly path: string,
  ) {}

  get data(): Uint8Array {
    const snap = readSnapshotFile(this.path);
    if (snap.meta.index !== this.meta.index || snap.meta.term !== this.meta.term)
      throw new StorageCorruptError(`snapshot file no longer holds the snapshot at ${this.meta.index}`);
    return snap.data;
  }
}

/**
 * `parts` cut in two at their middle byte when `tear` (so a fault point can stop the process
 * with half of them written), else all of them and nothing.
 */
function halves(parts: readonly Uint8Array[], tear: boolean): [Uint8Array[], Uint8Array[]] {
  if (!tear) return [[...parts], []];
  let left = parts.reduce((n, p) => n + p.length, 0) >>> 1;
  const first: Uint8Array[] = [];
  const rest: Uint8Array[] = [];
  for (const p of parts) {
    if (left >= p.length) first.push(p);
    else if (left <= 0) rest.push(p);
    else {
      first.push(p.subarray(0, left));
      rest.push(p.subarray(left));
    }
    left -= p.length;
  }
  return [first, rest];
}

/**
 * write to a temporary file + fsync + rename + fsync the directory; `stage` (crash tests) is
 * called half-way through the writing, before the rename and after it.
 */
function writeFileAtomic(
  dir: string,
  name: string,
  parts: readonly Uint8Array[],
  stage?: (stage: ReplaceStage) => void,
): void {
  const tmp = join(dir, name + TMP);
  const fd = openSync(tmp, 'w');
  try {
    const [first, rest] = halves(parts, stage !== undefined);
    for (const bytes of first) writeAll(fd, bytes);
    stage?.('partial');
    for (const bytes of rest) writeAll(fd, bytes);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  stage?.('written');
  renameSync(tmp, join(dir, name));
  syncDir(dir);
  stage?.('renamed');
}

/**
 * The store's life id: read back, or drawn and written now if the store is empty. A store with
 * contents but no id comes from an earlier version: it has none.
 * @throws StorageCorruptError if the file is damaged
 */
function openIncarnation(dir: string, mem: MemoryStorage): string | undefined {
  const path = join(dir, INCARNATION);
  if (existsSync(path)) {
    const text = readFileSync(path, 'utf8');
    if (!/^[0-9a-f]{16}$/.test(text)) throw new StorageCorruptError(`damaged ${INCARNATION} file in ${dir}`);
    return text;
  }
  const empty = mem.lastIndex() === 0 && mem.snapshot().meta.index === 0 && mem.hardState().term === 0;
  if (!empty) return undefined;
  const incarnation = newIncarnation();
  writeFileAtomic(dir, INCARNATION, [new TextEncoder().encode(incarnation)]);
  return incarnation;
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the rename is then as durable as it gets.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
