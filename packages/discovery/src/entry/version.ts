/**
 * Entry versions: `(startMs, updateMs)`, both ms since the Unix epoch, ordered
 * lexicographically. `startMs` is the process start (a run id, so a restarted node always wins);
 * `updateMs` only grows and tracks wall-clock time.
 */

/** Version of a peer entry. */
export interface PeerEntryVersion {
  /** When this run of the peer started, ms since the epoch. */
  readonly startMs: number;
  /** When the entry last changed, ms since the epoch. */
  readonly updateMs: number;
}

/** Lexicographic order on `(startMs, updateMs)`: negative, zero or positive. */
export function compareVersions(a: PeerEntryVersion, b: PeerEntryVersion): number {
  if (a.startMs !== b.startMs) return a.startMs < b.startMs ? -1 : 1;
  if (a.updateMs !== b.updateMs) return a.updateMs < b.updateMs ? -1 : 1;
  return 0;
}

/** `update = max(update, now) + 1`, saturating at the largest safe integer; `start` is kept. */
export function incrementVersion(v: PeerEntryVersion, nowMs: number): PeerEntryVersion {
  const base = Math.max(v.updateMs, Math.floor(nowMs));
  return { startMs: v.startMs, updateMs: Math.min(base + 1, Number.MAX_SAFE_INTEGER) };
}

/** A first version: both parts at `nowMs`. */
export function initialVersion(nowMs: number): PeerEntryVersion {
  const t = Math.floor(nowMs);
  return { startMs: t, updateMs: t };
}
