/** The replicated state machine interface, its apply context and the `NoOp` machine. */
import { type Codec, concatBytes, Digest, type GroupId } from '@mosaik/id';

/**
 * How willing a member is to lead. Per node, not part of the group id.
 * - `normal`: default.
 * - `reluctant`: the election timeout is multiplied by `factor`, and the autopilot promotes it
 *   to voter only after every `normal` member.
 * - `observer`: replicates and answers queries, but never votes and never leads.
 */
export type LeadershipPreference =
  | { readonly kind: 'normal' }
  | { readonly kind: 'reluctant'; readonly factor: number }
  | { readonly kind: 'observer' };

/** Constructors of {@link LeadershipPreference}. */
export const LeadershipPreference = {
  normal: (): LeadershipPreference => ({ kind: 'normal' }),
  reluctant: (factor = 3): LeadershipPreference => ({ kind: 'reluctant', factor }),
  observer: (): LeadershipPreference => ({ kind: 'observer' }),
} as const;

/**
 * Deterministic facts about the commands being applied. Never read clocks, randomness or I/O in
 * `apply`: every member must reach the same state from the same log.
 */
export interface ApplyContext {
  /** Log index of the (first) command being applied. Command `i` of a batch is at `index + i`. */
  readonly index: number;
  /** The term the command(s) were proposed in (a batch never spans terms). */
  readonly term: number;
  /** The group. */
  readonly groupId: GroupId;
}

/**
 * A deterministic state machine replicated by a group.
 *
 * @typeParam C - commands (go through the log)
 * @typeParam Q - queries (evaluated locally, never sent)
 * @typeParam R - query results
 */
export interface StateMachine<C, Q, R> {
  /** Fingerprint of the machine type and any configuration that changes its behaviour: part of the group id. */
  readonly signature: Digest;
  /** How commands are encoded in the log; default CBOR. */
  readonly commandCodec?: Codec<C>;
  /** Applies one committed command. Called exactly once per entry, in log order, on every member. */
  apply(command: C, ctx: ApplyContext): void;
  /** Optional batch form (consecutive commands of one term); default: `apply` in a loop. */
  applyBatch?(commands: readonly C[], ctx: ApplyContext): void;
  /** Answers a read-only query against the current state. */
  query(query: Q): R;
  /**
   * The whole state, for a Raft snapshot: either the bytes themselves (fine for small states), or
   * a {@link SnapshotView}, a frozen copy the driver encodes piece by piece between other work
   * while the machine keeps applying commands. Taking a view must be cheap (O(1) for persistent
   * structures): it runs on the apply path. Iterate in encoded-key order so every member produces
   * the same bytes from the same state.
   */
  snapshot(): Uint8Array | SnapshotView;
  /** Replaces the whole state with a snapshot taken by `snapshot()` (possibly on another member). */
  restore(snapshot: Uint8Array): void;
  /**
   * Optional incremental form of `restore`: a sink the driver feeds the snapshot's bytes to, in
   * pieces of any size, between other work. The machine's state must stay as it was until
   * `end()` installs the new one; a sink that is abandoned (never ended) must leave no trace.
   */
  restoreChunks?(): SnapshotSink;
  /**
   * Default `normal`. Read again on every use, so a machine may change it while joined: the
   * leader's autopilot then promotes (no longer `observer`) or demotes (now `observer`) it.
   */
  readonly leadershipPreference?: LeadershipPreference;
  /**
   * Optional check of a command another member forwarded to this one while it leads: throwing
   * refuses the whole batch and closes that member's bond with `ProtocolViolation`. Commands
   * proposed locally are not checked here (the caller validated them).
   */
  validate?(command: C): void;
  /**
   * Optional summary of the state for dashboards (the diagnostics page's collections panel,
   * `group.status().machine`): what kind of data it holds, how much, at which version. Called
   * outside `apply`, so it must not change the state.
   */
  describe?(): MachineDescription;
}

/**
 * A frozen copy of a machine's state that encodes itself in pieces. The concatenation of the
 * pieces is the snapshot: it must not depend on how the state was reached or on the piece sizes.
 */
export interface SnapshotView {
  /** The encoded state, piece by piece (any sizes; the driver yields to the event loop between them). */
  chunks(): Iterable<Uint8Array>;
}

/** Receives a snapshot in pieces (see {@link StateMachine.restoreChunks}). */
export interface SnapshotSink {
  /** The next piece; may split an encoded element anywhere. Throws `DecodeError` for malformed bytes. */
  write(chunk: Uint8Array): void;
  /** All pieces were written: install the state. Throws `DecodeError` if the bytes were incomplete. */
  end(): void;
}

/** The pieces of what `snapshot()` returned (one piece for plain bytes). */
export function snapshotChunks(snapshot: Uint8Array | SnapshotView): Iterable<Uint8Array> {
  return snapshot instanceof Uint8Array ? [snapshot] : snapshot.chunks();
}

/** The bytes of what `snapshot()` returned, concatenated (for small states and tests). */
export function snapshotBytes(snapshot: Uint8Array | SnapshotView): Uint8Array {
  if (snapshot instanceof Uint8Array) return snapshot;
  const parts = [...snapshot.chunks()];
  return parts.length === 1 ? parts[0]! : concatBytes(...parts);
}

/** What {@link StateMachine.describe} returns. */
export interface MachineDescription {
  /** Short kind name, e.g. `'map'`. */
  readonly kind: string;
  /** Number of elements, if that means something for this machine. */
  readonly size?: number;
  /** A version that grows with every change, if the machine keeps one. */
  readonly version?: number;
}

/** The command type of a state machine. */
export type CommandOf<M> = M extends StateMachine<infer C, unknown, unknown> ? C : never;
/** The query type of a state machine. */
export type QueryOf<M> = M extends StateMachine<unknown, infer Q, unknown> ? Q : never;
/** The query result type of a state machine. */
export type ResultOf<M> = M extends StateMachine<unknown, unknown, infer R> ? R : never;

/** A machine with no state: the group only elects a leader and replicates nothing of interest. */
export class NoOp implements StateMachine<null, null, null> {
  readonly signature = Digest.from('mosaik_noop_state_machine');
  apply(): void {}
  query(): null {
    return null;
  }
  snapshot(): Uint8Array {
    return new Uint8Array(0);
  }
  restore(): void {}
}
