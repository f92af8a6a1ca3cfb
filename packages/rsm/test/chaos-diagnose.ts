/**
 * Diagnostics for the chaos test (`chaos.heavy.test.ts`): when a history is not linearizable,
 * which key, by how much the intervals would have to be widened for it to pass (a few
 * milliseconds points at the clocks, seconds at the system), and the reads that contradict a
 * write acknowledged before they started, with the log indices and the serving member's view.
 */
import { checkOperations, type KvInput, type KvOutput, kvModel, type Operation } from '@mosaik/raft/testing';
import type { KvIn, KvOut, Served } from './chaos-member.js';

/** One recorded call, as the test keeps it. */
export interface RecordedCall {
  readonly client: number;
  readonly input: KvIn;
  readonly call: number;
  ret: number;
  output: KvOut;
  served?: Served;
}

/** What the diagnosis found about one key whose history is not linearizable. */
export interface KeyDiagnosis {
  readonly key: string;
  readonly operations: number;
  /** Smallest widening (ms) of every interval, of those tried, that makes the key pass; undefined if none. */
  readonly passesWithSkew: number | undefined;
  /** Reads that contradict the order of acknowledged writes, or return a value nobody wrote. */
  readonly anomalies: string[];
}

const WIDENINGS = [2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000];

function toOperations(calls: readonly RecordedCall[], skew: number): Operation<KvInput, KvOutput>[] {
  return calls.map((c) => ({
    client: c.client,
    input: c.input,
    output: c.output,
    call: c.call - skew,
    ret: c.ret + skew,
  }));
}

const fmt = (t: number, t0: number) => (t === Infinity ? '∞' : (t - t0).toFixed(1));

function describeCall(c: RecordedCall, t0: number): string {
  const what = c.input.op === 'put' ? `put ${c.input.value}` : `get → ${JSON.stringify(c.output?.value)}`;
  const s = c.served;
  const where =
    s === undefined ? 'no answer' : `idx ${s.index} term ${s.term} ${s.role} leader ${s.leader || '-'}`;
  return `[${fmt(c.call, t0)}, ${fmt(c.ret, t0)}] client ${c.client} ${what} (${where})`;
}

/** Diagnoses every key whose history is not linearizable at `skew`. */
export function diagnose(calls: readonly RecordedCall[], skew: number): KeyDiagnosis[] {
  const byKey = new Map<string, RecordedCall[]>();
  for (const c of calls) {
    const list = byKey.get(c.input.key) ?? [];
    if (list.length === 0) byKey.set(c.input.key, list);
    list.push(c);
  }
  const t0 = Math.min(...calls.map((c) => c.call));
  const out: KeyDiagnosis[] = [];
  for (const [key, list] of byKey) {
    if (checkOperations(kvModel, toOperations(list, skew)) !== 'illegal') continue;
    const passesWithSkew = WIDENINGS.find(
      (w) => w > skew && checkOperations(kvModel, toOperations(list, w)) !== 'illegal',
    );
    const puts = list.filter((c) => c.input.op === 'put');
    const writer = new Map<string, RecordedCall>();
    for (const p of puts) if (p.input.op === 'put') writer.set(p.input.value, p);
    const anomalies: string[] = [];
    for (const g of list) {
      if (g.input.op !== 'get' || g.output === undefined) continue;
      const value = g.output.value;
      const w = value === null ? undefined : writer.get(value);
      if (value !== null && w === undefined) {
        anomalies.push(`read of a value no recorded put wrote: ${describeCall(g, t0)}`);
        continue;
      }
      if (w !== undefined && w.call > g.ret)
        anomalies.push(
          `read from the future by ${(w.call - g.ret).toFixed(1)} ms: ${describeCall(g, t0)} ← ${describeCall(w, t0)}`,
        );
      // A write acknowledged before the read started, itself started after the read value's
      // write was acknowledged (or any acknowledged write, when the read saw nothing).
      for (const later of puts) {
        if (later === w || later.ret === Infinity || later.ret >= g.call) continue;
        if (w !== undefined && later.call <= w.ret) continue;
        anomalies.push(
          `stale read by ${(g.call - later.ret).toFixed(1)} ms: ${describeCall(g, t0)} but ${describeCall(later, t0)}` +
            (w === undefined ? '' : ` after ${describeCall(w, t0)}`),
        );
      }
    }
    out.push({ key, operations: list.length, passesWithSkew, anomalies: anomalies.slice(0, 20) });
  }
  return out;
}

/** Offset of a child's clock from the parent's, from pings: the answer with the shortest round trip. */
export interface ClockSample {
  readonly client: number;
  readonly phase: string;
  /** Child's clock minus parent's, in ms. */
  readonly offset: number;
  /** Round trip of the best ping: the offset is known to ± half of it. */
  readonly rtt: number;
}
