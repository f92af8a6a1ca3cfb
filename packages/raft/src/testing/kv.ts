import type { Model } from './linearizability.js';

/** A key-value command as proposed through the log. */
export type KvCommand =
  | { readonly id: string; readonly op: 'put'; readonly key: string; readonly value: string }
  | {
      readonly id: string;
      readonly op: 'cas';
      readonly key: string;
      readonly expected: string | null;
      readonly value: string;
    };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Bytes of a key-value command, as the Raft log carries it. */
export function encodeKvCommand(cmd: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(cmd));
}

/** The key-value command in log bytes made by {@link encodeKvCommand}. */
export function decodeKvCommand(data: Uint8Array): KvCommand {
  return JSON.parse(decoder.decode(data)) as KvCommand;
}

/** A tiny deterministic key-value state machine used by the simulator and the benchmark. */
export class KvStateMachine {
  #map = new Map<string, string>();

  /** Applies a command; returns whether it took effect (always true for put). */
  apply(cmd: KvCommand): boolean {
    if (cmd.op === 'put') {
      this.#map.set(cmd.key, cmd.value);
      return true;
    }
    const cur = this.#map.get(cmd.key) ?? null;
    if (cur !== cmd.expected) return false;
    this.#map.set(cmd.key, cmd.value);
    return true;
  }

  get(key: string): string | null {
    return this.#map.get(key) ?? null;
  }

  /** Serializes in key order, so equal states give equal bytes. */
  snapshot(): Uint8Array {
    const pairs = [...this.#map].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return encoder.encode(JSON.stringify(pairs));
  }

  static restore(data: Uint8Array): KvStateMachine {
    const sm = new KvStateMachine();
    if (data.length > 0) {
      for (const [k, v] of JSON.parse(decoder.decode(data)) as [string, string][]) sm.#map.set(k, v);
    }
    return sm;
  }
}

/** Input of one client operation on one key. */
export type KvInput =
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string };

/** Output: the value read (get), whether it took effect (cas), or `undefined` if unknown. */
export type KvOutput = { readonly value: string | null } | { readonly ok: boolean } | undefined;

/**
 * The sequential specification of one register per key, for the linearizability checker.
 * An `undefined` output (the client timed out) matches whatever the operation would have done.
 */
export const kvModel: Model<string | null, KvInput, KvOutput> = {
  init: () => null,
  step(state, input, output) {
    switch (input.op) {
      case 'get':
        return [output === undefined || ('value' in output && output.value === state), state];
      case 'put':
        return [true, input.value];
      case 'cas': {
        const ok = state === input.expected;
        if (output !== undefined && (!('ok' in output) || output.ok !== ok)) return [false, state];
        return [true, ok ? input.value : state];
      }
    }
  },
  partition: (input) => input.key,
  hash: (state) => (state === null ? '\u0000' : state),
};
