/** The state machines the tests replicate: a counter and a key-value register. */
import { Digest, decodeCbor, encodeCbor } from '@mosaik/id';
import type { ApplyContext, LeadershipPreference, MachineDescription, StateMachine } from '@mosaik/rsm';

/** A counter command: add or subtract. */
export type CounterCommand = { readonly inc: number } | { readonly dec: number };

/**
 * A replicated counter: `{inc: n}` / `{dec: n}`, query → value. It records every applied index so
 * tests can check exactly-once, in-order application.
 */
export class Counter implements StateMachine<CounterCommand, null, number> {
  readonly signature: Digest;
  value = 0;
  /** Every index applied, in order. */
  readonly indices: number[] = [];
  readonly leadershipPreference: LeadershipPreference | undefined;

  /**
   * @param options.preference - leadership preference of this member
   * @param options.signature - the machine's identity (part of the group id); tests of different
   *   packages may pick their own
   */
  constructor(options: { preference?: LeadershipPreference; signature?: Digest } = {}) {
    this.leadershipPreference = options.preference;
    this.signature = options.signature ?? Digest.fromU8(2);
  }

  apply(cmd: CounterCommand, ctx: ApplyContext): void {
    this.value += 'inc' in cmd ? cmd.inc : -cmd.dec;
    this.indices.push(ctx.index);
  }

  query(): number {
    return this.value;
  }

  /** What the diagnostics page shows for this machine. */
  describe(): MachineDescription {
    return { kind: 'counter', size: this.value, version: this.indices.length };
  }

  snapshot(): Uint8Array {
    return encodeCbor(this.value);
  }

  restore(bytes: Uint8Array): void {
    this.value = decodeCbor(bytes) as number;
  }
}

/** A key-value command: set `put` to `value`. */
export type KvCommand = { readonly put: string; readonly value: string };

/** A key-value register (string values), for linearizability checks; query → the key's value. */
export class Kv implements StateMachine<KvCommand, string, string | null> {
  readonly signature = Digest.from('rsm-test-kv');
  readonly map = new Map<string, string>();

  apply(cmd: KvCommand): void {
    this.map.set(cmd.put, cmd.value);
  }

  query(key: string): string | null {
    return this.map.get(key) ?? null;
  }

  snapshot(): Uint8Array {
    return encodeCbor([...this.map.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  restore(bytes: Uint8Array): void {
    this.map.clear();
    for (const [k, v] of decodeCbor(bytes) as [string, string][]) this.map.set(k, v);
  }
}
