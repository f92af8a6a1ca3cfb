/** The `p` quantile of ascending `sorted` (NaN when empty). */
export function quantile(sorted: readonly number[], p: number): number;

/** What {@link closedLoop} measured. */
export interface LoadResult {
  readonly count: number;
  readonly failed: number;
  readonly ms: number;
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
}

/** Closed-loop load: `clients` loops each awaiting `op` back to back, measured after a warm-up. */
export function closedLoop(load: {
  clients: number;
  warmupMs: number;
  ms: number;
  op: (client: number, seq: number) => Promise<unknown>;
  onError?: (error: unknown, failed: number) => Promise<void> | void;
}): Promise<LoadResult>;
