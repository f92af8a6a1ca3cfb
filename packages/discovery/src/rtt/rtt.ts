/**
 * Round-trip-time smoothing per RFC 6298 §2 (the same estimator TCP uses for its RTO).
 * Samples come from pings, DHT probes and the live links of other subsystems.
 */

/** Smoothed RTT state of one peer, in milliseconds. */
export interface RttState {
  /** Smoothed round-trip time (SRTT). */
  readonly srtt: number;
  /** Round-trip time variation (RTTVAR). */
  readonly rttvar: number;
  /** Number of samples folded in. */
  readonly samples: number;
}

// RFC 6298 constants: alpha = 1/8, beta = 1/4.
const ALPHA = 1 / 8;
const BETA = 1 / 4;

/** Folds one sample into a state (or starts one). Pure. */
export function smoothRtt(prev: RttState | undefined, sampleMs: number): RttState {
  if (prev === undefined) return { srtt: sampleMs, rttvar: sampleMs / 2, samples: 1 };
  // RTTVAR is updated with the *previous* SRTT, as the RFC requires.
  const rttvar = (1 - BETA) * prev.rttvar + BETA * Math.abs(prev.srtt - sampleMs);
  const srtt = (1 - ALPHA) * prev.srtt + ALPHA * sampleMs;
  return { srtt, rttvar, samples: prev.samples + 1 };
}

/**
 * `true` when the RTT is unknown or strictly below `limitMs`.
 *
 * Stream `require` predicates use this strict form; the catalog's `maxRtt` filter is `≤` instead
 * (see {@link rttAdmitted}).
 */
export function rttBelow(rttMs: number | undefined, limitMs: number): boolean {
  return rttMs === undefined || rttMs < limitMs;
}

/** Catalog RTT filter: a peer is hidden only if it has a sample and that sample exceeds `maxRttMs`. */
export function rttAdmitted(rttMs: number | undefined, maxRttMs: number | undefined): boolean {
  return maxRttMs === undefined || rttMs === undefined || rttMs <= maxRttMs;
}

/** Anything with a stable string form (a `PeerId` prints as lowercase hex). */
export interface RttKey {
  toString(): string;
}

/**
 * Per-peer RTT tracker. Keys are compared by their string form, so two `PeerId` objects of the
 * same key share one state.
 */
export class RttTracker<K extends RttKey = RttKey> {
  readonly #states = new Map<string, RttState>();
  #version = 0;

  /** Records a sample in milliseconds; negative or non-finite samples are ignored. */
  sample(peer: K, rttMs: number): void {
    if (!Number.isFinite(rttMs) || rttMs < 0) return;
    const key = peer.toString();
    this.#states.set(key, smoothRtt(this.#states.get(key), rttMs));
    this.#version++;
  }

  /** Smoothed RTT in milliseconds, or `undefined` when no sample was recorded. */
  get(peer: K): number | undefined {
    return this.#states.get(peer.toString())?.srtt;
  }

  /** Full smoothing state, or `undefined`. */
  state(peer: K): RttState | undefined {
    return this.#states.get(peer.toString());
  }

  /** Forgets a peer (on departure or purge). */
  remove(peer: K): boolean {
    const removed = this.#states.delete(peer.toString());
    if (removed) this.#version++;
    return removed;
  }

  /** Forgets every peer. */
  clear(): void {
    this.#states.clear();
    this.#version++;
  }

  /** Number of tracked peers. */
  get size(): number {
    return this.#states.size;
  }

  /** Increases on every change; lets a catalog cache RTT-filtered reads. */
  get version(): number {
    return this.#version;
  }
}
