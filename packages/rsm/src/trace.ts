/**
 * Commit tracing for the benchmark (`MOSAIK_COMMIT_TRACE=1`): wall-clock marks of the stages a
 * log entry passes through in this process (proposed, sent, synced, received, acknowledged,
 * applied) and counters of the work done per commit (Readies, fsyncs, frames). Off by default:
 * then `commitTrace` is `undefined` and every hook is a skipped optional call.
 *
 * Marks use `performance.timeOrigin + performance.now()`, comparable across the processes of one
 * machine, so the bench can join a leader's and its followers' marks by log index.
 *
 * @internal
 */

/** Most entries whose marks are kept; older ones are dropped first. */
const MAX_ENTRIES = 200_000;

/** The marks and counters of one process, as handed to the bench. */
export interface CommitTraceDump {
  /** Log index → stage → time (ms since the epoch, fractional). */
  readonly marks: Record<number, Record<string, number>>;
  readonly counters: Record<string, number>;
}

/** Collects stage marks per log index and work counters. */
export class CommitTrace {
  #marks = new Map<number, Record<string, number>>();
  #counters = new Map<string, number>();

  /** Records the first time `index` reached `stage`. */
  mark(stage: string, index: number): void {
    let m = this.#marks.get(index);
    if (m === undefined) {
      if (this.#marks.size >= MAX_ENTRIES) {
        const oldest = this.#marks.keys().next().value;
        if (oldest !== undefined) this.#marks.delete(oldest);
      }
      m = {};
      this.#marks.set(index, m);
    }
    m[stage] ??= performance.timeOrigin + performance.now();
  }

  /** Marks every index of `[first, last]`. */
  markRange(stage: string, first: number, last: number): void {
    for (let i = first; i <= last; i++) this.mark(stage, i);
  }

  count(name: string, n = 1): void {
    this.#counters.set(name, (this.#counters.get(name) ?? 0) + n);
  }

  reset(): void {
    this.#marks.clear();
    this.#counters.clear();
  }

  dump(): CommitTraceDump {
    return { marks: Object.fromEntries(this.#marks), counters: Object.fromEntries(this.#counters) };
  }
}

/** The process's tracer, present only when `MOSAIK_COMMIT_TRACE` is set to a non-empty value other than `0`. */
export const commitTrace: CommitTrace | undefined = traceEnabled() ? new CommitTrace() : undefined;

function traceEnabled(): boolean {
  const v = typeof process === 'undefined' ? undefined : process.env.MOSAIK_COMMIT_TRACE;
  return v !== undefined && v !== '' && v !== '0';
}
