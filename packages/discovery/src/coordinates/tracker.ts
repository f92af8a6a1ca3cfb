/**
 * The local node's Vivaldi coordinate as RTT samples come in. Samples to peers whose
 * coordinate we do not know (peers of an older release, or with coordinates off) cannot move
 * it and are skipped; so are samples the update rule refuses.
 *
 * A fresh node publishes its origin coordinate with the largest error, as every node does:
 * two fresh nodes must be able to learn from each other, and the error tells every reader that
 * the coordinate means nothing yet. Estimates are only made between trained coordinates.
 */
import {
  DEFAULT_VIVALDI_CONFIG,
  estimateRtt,
  initialCoordinate,
  type NetworkCoordinate,
  updateCoordinate,
  VIVALDI,
  type VivaldiConfig,
} from './vivaldi.js';

/** One node's coordinate and how many samples shaped it. */
export class CoordinateTracker {
  #coordinate: NetworkCoordinate;
  #samples = 0;

  constructor(
    /** Uniform in [0, 1); injected so a simulation can be replayed. */
    private readonly random: () => number = Math.random,
    private readonly config: VivaldiConfig = DEFAULT_VIVALDI_CONFIG,
  ) {
    this.#coordinate = initialCoordinate(config);
  }

  /** The current coordinate (a fresh node's sits at the origin with the largest error). */
  get coordinate(): NetworkCoordinate {
    return this.#coordinate;
  }

  /** Samples folded in so far. */
  get samples(): number {
    return this.#samples;
  }

  /** Folds in one sample to a peer at `remote`; `false` when the sample was not usable. */
  observe(remote: NetworkCoordinate | undefined, rttMs: number): boolean {
    if (remote === undefined) return false;
    if (typeof rttMs !== 'number' || !Number.isFinite(rttMs) || rttMs < 0 || rttMs > VIVALDI.maxRttMs) {
      return false;
    }
    this.#coordinate = updateCoordinate(this.#coordinate, remote, rttMs, this.random, this.config);
    this.#samples++;
    return true;
  }

  /**
   * Estimated RTT to a peer at `remote`, ms; `undefined` before this node's first sample and
   * for a remote coordinate that was never trained (still at the largest error).
   */
  estimate(remote: NetworkCoordinate | undefined): number | undefined {
    if (this.#samples === 0 || remote === undefined || !isTrained(remote, this.config)) return undefined;
    return estimateRtt(this.#coordinate, remote);
  }
}

/** `false` for a coordinate that no sample has moved yet (it still carries the largest error). */
export function isTrained(c: NetworkCoordinate, config: VivaldiConfig = DEFAULT_VIVALDI_CONFIG): boolean {
  return c.error < config.maxError;
}
