/**
 * What every collection handle shares: status (`when`, `version`), the write path (encode at
 * call time, enqueue synchronously so calls keep their order, resolve with the committed
 * version), `watch`, and `close`.
 */
import { type GroupId, linkSignals, PeerId } from '@mosaik/id';
import type { Groups, ResetEvent } from '@mosaik/rsm';
import { CollectionError, fromGroupError } from './errors.js';
import type { Watcher } from './feed.js';
import { type Replica, releaseReplica } from './replica.js';

/**
 * A position in the collection's history: the log index of a committed write. Versions only
 * grow on one node and are sparse (internal entries take indices too): compare them with `>=`.
 */
export type Version = number;

/** Options of waits: cancel with `signal`. Every wait also ends (rejects) when the handle closes. */
export interface WaitOptions {
  readonly signal?: AbortSignal;
}

/** A change delivered by `watch`, with the version of the write that made it. */
export type Versioned<E> = E & { readonly version: Version };

/** The watcher fell behind its buffer: `missed` changes were dropped; a `snapshot` event follows. */
export interface Lagged {
  readonly kind: 'lagged';
  readonly version: Version;
  readonly missed: number;
}

/** Everything `watch` yields: snapshots (the whole contents), changes, and `lagged` notices. */
export type WatchEvent<E, S> = Versioned<E> | Versioned<S & { readonly kind: 'snapshot' }> | Lagged;

/** Options of `watch`. */
export interface WatchOptions {
  /** Ends the iteration (quietly) when aborted. */
  readonly signal?: AbortSignal;
  /** Changes buffered for a slow consumer before it is told `lagged` (default: the definition's `watchBuffer`). */
  readonly bufferSize?: number;
}

/**
 * Who replicates a collection, as this replica knows it right now (like etcd's member list or a
 * NATS stream's cluster info). Writers are `voters` or `learners` (not voting right now);
 * readers are `observers`: they replicate but never vote nor lead, so losing them
 * never stops writes. With a majority of the voters gone the collection cannot commit.
 */
export interface CollectionMembers {
  /** This node. */
  readonly self: PeerId;
  /** The leader this replica follows, `undefined` while none is known. */
  readonly leader: PeerId | undefined;
  /** Writers that vote: a write commits once a majority of them has it. */
  readonly voters: readonly PeerId[];
  /**
   * Writers that do not vote right now: ones still catching up, and standbys (the group keeps an
   * odd number of voters, so with two writers one votes and the other stands by, promoted when
   * a voter goes away).
   */
  readonly learners: readonly PeerId[];
  /** Readers: full replicas that never vote and never lead. */
  readonly observers: readonly PeerId[];
  /**
   * The members this replica is connected to now (a live bond in the collection's group), this
   * node included. A member missing here may be down, partitioned away, or still connecting.
   * Once the group has all the voters it may have (`maxVoters`), a replica that does not vote
   * is connected to the voters only, and lists the other non-voters as `learners`.
   */
  readonly connected: readonly PeerId[];
  /**
   * The cluster this replica belongs to (`''` before it has one). Replicas that started apart
   * (a network split at start-up) found separate clusters; when they meet, one cluster wins and
   * the others reset (see {@link CollectionReset}).
   */
  readonly cluster: string;
}

/**
 * This replica's side of the collection lost a merge: it had been written apart from another
 * side (a partition at start-up), the other side had the longer committed history, and this
 * replica threw its contents away and took the winner's. Writes committed only on the losing
 * side are gone; an application that cares writes them again. Divergence is never silent:
 * every replica that discards state reports it.
 */
export interface CollectionReset {
  /** What was discarded: the losing cluster and the last version this replica had in it. */
  readonly discarded: { readonly cluster: string; readonly version: Version };
  /** The cluster whose contents replaced it. */
  readonly joined: string;
  /** When it happened (local wall clock, ms since the epoch). */
  readonly at: number;
}

/** @internal */
export function toCollectionReset(r: ResetEvent): CollectionReset {
  return {
    discarded: { cluster: r.discarded.cluster, version: r.discarded.committed },
    joined: r.joined,
    at: r.at,
  };
}

/** Reactive status of a collection handle. */
export class CollectionWhen {
  readonly #handle: CollectionHandle<unknown, unknown, unknown, unknown>;

  /** @internal */
  constructor(handle: CollectionHandle<unknown, unknown, unknown, unknown>) {
    this.#handle = handle;
  }

  /**
   * Runs `wait` under the caller's signal and the handle's, and lets go of both once it settles:
   * `AbortSignal.any` would leave an entry on each of them for every call.
   */
  async #until<T>(options: WaitOptions | undefined, wait: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const stop = linkSignals([options?.signal, this.#handle.closedSignal]);
    try {
      return await wait(stop.signal);
    } finally {
      stop.dispose();
    }
  }

  /**
   * When the replica is online: it belongs to the group, a leader is known and it applied what
   * it knows is committed. At once if it already is. Writes need it; reads never wait for it.
   */
  online(options?: WaitOptions): Promise<void> {
    return this.#until(options, (signal) => this.#handle.group.when.online(signal));
  }

  /** When the replica is offline (no leader, not yet a member, catching up). At once if it is. */
  offline(options?: WaitOptions): Promise<void> {
    return this.#until(options, (signal) => this.#handle.group.when.offline(signal));
  }

  /** When the local replica has applied `version` (at once if it has): reads then reflect it. */
  reaches(version: Version, options?: WaitOptions): Promise<Version> {
    return this.#until(options, (signal) => this.#handle.group.when.committed().reaches(version, { signal }));
  }

  /** The next version applied after this call. */
  updated(options?: WaitOptions): Promise<Version> {
    return this.#until(options, (signal) => this.#handle.group.when.committed().advanced({ signal }));
  }

  /**
   * The next reset of this replica (never at once): its side lost a merge and it replaced its
   * contents with the winner's (see {@link CollectionReset}). `lastReset()` on the handle tells
   * about one that already happened. A `watch` yields a fresh `snapshot` for the new contents.
   */
  async reset(options?: WaitOptions): Promise<CollectionReset> {
    return toCollectionReset(await this.#until(options, (signal) => this.#handle.group.when.reset(signal)));
  }
}

/** Shared machinery of readers and writers. @typeParam C - commands, Ch - byte-level changes, E - decoded changes, S - snapshot events */
export abstract class CollectionHandle<C, Ch, E, S> implements AsyncDisposable {
  /** Reactive status. */
  readonly when: CollectionWhen;
  /** @internal */
  readonly replica: Replica<C, Ch>;
  readonly #groups: Groups;
  readonly #writer: boolean;
  readonly #closed = new AbortController();
  readonly #watchBuffer: number;
  #closing: Promise<void> | undefined;

  /** @internal */
  constructor(groups: Groups, replica: Replica<C, Ch>, writer: boolean, watchBuffer: number) {
    this.#groups = groups;
    this.replica = replica;
    this.#writer = writer;
    this.#watchBuffer = watchBuffer;
    this.when = new CollectionWhen(this as CollectionHandle<unknown, unknown, unknown, unknown>);
  }

  /** @internal */
  get group() {
    return this.replica.group;
  }

  /** @internal Aborted (with a `terminated` error) when the handle closes. */
  get closedSignal(): AbortSignal {
    return this.#closed.signal;
  }

  /** The committed version this replica has applied (0 before anything). */
  get version(): Version {
    return this.replica.group.committed();
  }

  /** The group the collection replicates through (same on every member, writer or reader). */
  get groupId(): GroupId {
    return this.replica.group.id;
  }

  /**
   * Who replicates this collection and in which role, as this replica knows it now: leader,
   * voters (writers), learners (writers catching up), observers (readers), the members it is
   * connected to, and its cluster. A fresh value on every call; after `close()` the last view.
   */
  members(): CollectionMembers {
    const group = this.replica.group;
    const status = group.status();
    const peers = (hex: readonly string[]) => hex.map((h) => PeerId.parse(h));
    return {
      self: group.peerId,
      leader: group.leader(),
      voters: peers(status.voters),
      learners: peers(status.learners),
      observers: peers(status.observers),
      connected: [group.peerId, ...group.bonds().peers()],
      cluster: status.cluster,
    };
  }

  /** The last reset of this replica (its side lost a merge), if any; `when.reset()` waits for the next. */
  lastReset(): CollectionReset | undefined {
    const r = this.replica.group.lastReset();
    return r === undefined ? undefined : toCollectionReset(r);
  }

  /** Whether `close()` was called. */
  get isClosed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Releases the handle. The last handle of this collection on the node leaves the group (peers
   * are told at once); pending waits and watches end.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed.abort(new CollectionError('terminated', 'the collection handle was closed', undefined));
      await releaseReplica(this.#groups, this.replica as Replica<unknown, unknown>, this.#writer);
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * The current contents as one `snapshot` event, then every committed change in commit order,
   * each with its version. A consumer slower than the buffer gets `lagged` and a fresh
   * `snapshot`; a snapshot installed on a catching-up replica yields a fresh `snapshot` too.
   * Ends when `signal` aborts or the handle closes.
   */
  async *watch(options: WatchOptions = {}): AsyncGenerator<WatchEvent<E, S>, void, undefined> {
    if (this.isClosed) return;
    const feed = this.replica.feed;
    const w: Watcher<Ch> = feed.add(options.bufferSize ?? this.#watchBuffer);
    const linked = linkSignals([options.signal, this.#closed.signal]);
    const signal = linked.signal;
    const onAbort = () => w.interrupt();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      // Subscribed and snapshotted in one synchronous step: nothing applied in between is lost.
      yield { ...this.snapshotContents(), kind: 'snapshot', version: this.version } as WatchEvent<E, S>;
      while (!signal.aborted) {
        if (w.state === 'lagged') {
          const missed = w.missed;
          w.restart();
          // Taken now: the snapshot covers everything dropped, and changes queue from here.
          const snap = { ...this.snapshotContents(), kind: 'snapshot', version: this.version } as WatchEvent<
            E,
            S
          >;
          yield { kind: 'lagged', version: snap.version, missed };
          if ((w.state as Watcher<Ch>['state']) !== 'ok') continue;
          yield snap;
          continue;
        }
        if (w.state === 'resync') {
          w.restart();
          yield { ...this.snapshotContents(), kind: 'snapshot', version: this.version } as WatchEvent<E, S>;
          continue;
        }
        const next = w.shift();
        if (next === undefined) {
          await w.wait();
          continue;
        }
        yield { ...this.decodeChange(next.change), version: next.index } as WatchEvent<E, S>;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      linked.dispose();
      feed.remove(w);
    }
  }

  /** @internal The whole contents, decoded, for a `snapshot` event. */
  protected abstract snapshotContents(): S;
  /** @internal One byte-level change, decoded. */
  protected abstract decodeChange(change: Ch): E;

  /**
   * Builds the command now (encoding errors reject with `encoding`), checks it against the
   * schemas, and hands it to the group synchronously, so writes from one handle commit in call
   * order. `undefined` from `build` (an empty batch) resolves with the current version.
   */
  protected submit<T>(payload: T, build: () => C | undefined): Promise<Version> {
    if (this.isClosed)
      return Promise.reject(new CollectionError('terminated', 'the collection handle was closed', payload));
    let command: C | undefined;
    try {
      command = build();
    } catch (error) {
      return Promise.reject(
        new CollectionError('encoding', `could not encode: ${(error as Error)?.message ?? error}`, payload, {
          cause: error,
        }),
      );
    }
    if (command === undefined) return Promise.resolve(this.version);
    if (!this.replica.machine.valid(command))
      return Promise.reject(
        new CollectionError('encoding', 'a key or value failed the collection’s schema', payload),
      );
    return this.replica.group.execute(command).catch((error: unknown) => {
      throw fromGroupError(error, payload);
    });
  }
}
