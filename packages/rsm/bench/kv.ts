/** The benchmarks' state machine: a key-value map, what etcd's puts do minus MVCC. */
import { Digest, decodeCbor, encodeCbor } from '@mosaik/id';
import type { StateMachine } from '../src/index.js';

/** One put: a key and its value. */
export type Put = { readonly k: string; readonly v: Uint8Array };

export class Kv implements StateMachine<Put, string, number> {
  readonly signature = Digest.from('mosaik-bench/kv/v1');
  readonly map = new Map<string, Uint8Array>();
  apply(cmd: Put): void {
    this.map.set(cmd.k, cmd.v);
  }
  query(key: string): number {
    return this.map.get(key)?.length ?? -1;
  }
  snapshot(): Uint8Array {
    return encodeCbor([...this.map.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
  }
  restore(bytes: Uint8Array): void {
    this.map.clear();
    for (const [k, v] of decodeCbor(bytes) as [string, Uint8Array][]) this.map.set(k, v);
  }
}
