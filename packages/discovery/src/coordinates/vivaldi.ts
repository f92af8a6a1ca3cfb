/**
 * Vivaldi network coordinates: every node keeps a point in a small Euclidean space plus a
 * "height" (the delay of its own access link), and nudges that point after each RTT sample so
 * that distances between points predict round-trip times. Once the points have settled, any
 * node can estimate its RTT to a peer it never measured from the two coordinates alone.
 *
 * Pure functions only: no clock, no randomness except the `random` a caller passes in (used
 * only to pick a direction when two points coincide). Units are milliseconds throughout.
 *
 * @example
 * ```ts
 * let me = initialCoordinate();
 * me = updateCoordinate(me, peerCoordinate, 42, Math.random);
 * const guess = estimateRtt(me, otherPeerCoordinate); // ms
 * ```
 */
import { InvalidCoordinateError } from '../errors.js';

/** Number of Euclidean dimensions (as Serf and Consul use). */
export const COORDINATE_DIMENSIONS = 8;

/** A Vivaldi coordinate. Immutable; every update returns a new one. */
export interface NetworkCoordinate {
  /** Position, one component per dimension, ms. */
  readonly vector: readonly number[];
  /** Access-link delay added to every distance from this node, ms (at least 0.01 ms, so that no distance is zero). */
  readonly height: number;
  /** Confidence: the node's recent relative prediction error (0 = exact, up to `maxError`). */
  readonly error: number;
}

/** Tuning of the update rule. */
export interface VivaldiConfig {
  /** Weight of one sample in the error estimate (the paper's `ce`). */
  readonly errorWeight: number;
  /** Fraction of the prediction error one sample corrects (the paper's `cc`). */
  readonly timestep: number;
  /** Error of a fresh coordinate and the cap of every later one. */
  readonly maxError: number;
  /** Smallest height, ms: keeps the height term alive so it can grow again. */
  readonly minHeightMs: number;
  /**
   * Distance from the origin, ms, at which a pull back towards it starts to matter; `undefined`
   * turns the pull off. Without it a whole network can drift away together (harmless for
   * estimates, but it ends in huge numbers).
   */
  readonly gravityMs: number | undefined;
}

/**
 * Bounds of anything that enters or leaves this module. Points are clamped into
 * `±maxComponentMs` so they stay finite and fit a float32, and samples outside
 * `[0, maxRttMs]` are refused.
 */
export const VIVALDI = Object.freeze({
  errorWeight: 0.25,
  timestep: 0.25,
  maxError: 1.5,
  minHeightMs: 0.01,
  gravityMs: 1500 as number | undefined,
  /** A larger RTT sample is not a latency but an outage; refused. */
  maxRttMs: 60_000,
  /** Samples below this are raised to it (a loopback RTT of 0 would divide by zero). */
  minRttMs: 0.01,
  /** Largest absolute coordinate component and height accepted, ms. */
  maxComponentMs: 1_000_000,
});

/** The default configuration. */
export const DEFAULT_VIVALDI_CONFIG: VivaldiConfig = Object.freeze({
  errorWeight: VIVALDI.errorWeight,
  timestep: VIVALDI.timestep,
  maxError: VIVALDI.maxError,
  minHeightMs: VIVALDI.minHeightMs,
  gravityMs: VIVALDI.gravityMs,
});

/** A node that knows nothing yet: at the origin, with the largest error. */
export function initialCoordinate(config: VivaldiConfig = DEFAULT_VIVALDI_CONFIG): NetworkCoordinate {
  return Object.freeze({
    vector: Object.freeze(new Array<number>(COORDINATE_DIMENSIONS).fill(0)),
    height: config.minHeightMs,
    error: config.maxError,
  });
}

/** `true` when `c` has the right dimension and every number is finite and within bounds. */
export function isValidCoordinate(c: NetworkCoordinate): boolean {
  return (
    c.vector.length === COORDINATE_DIMENSIONS &&
    c.vector.every((x) => Number.isFinite(x) && Math.abs(x) <= VIVALDI.maxComponentMs) &&
    Number.isFinite(c.height) &&
    c.height >= 0 &&
    c.height <= VIVALDI.maxComponentMs &&
    Number.isFinite(c.error) &&
    c.error >= 0
  );
}

/**
 * The coordinate, checked.
 * @throws {InvalidCoordinateError} unless `c` {@link isValidCoordinate is valid}.
 */
export function checkCoordinate(c: NetworkCoordinate, what = 'coordinate'): NetworkCoordinate {
  if (!isValidCoordinate(c)) throw new InvalidCoordinateError(`${what}: not a valid network coordinate`);
  return c;
}

/** Estimated RTT between two coordinates, ms: Euclidean distance plus both heights. */
export function estimateRtt(a: NetworkCoordinate, b: NetworkCoordinate): number {
  return euclidean(a.vector, b.vector) + a.height + b.height;
}

/**
 * Folds one RTT sample to `remote` into the local coordinate.
 *
 * The local point moves along the line to the remote point: away when the measured RTT is
 * longer than predicted, closer when shorter, by a step proportional to the prediction error.
 * The step also scales with how unsure we are relative to the remote (`local.error` against
 * the sum of both errors), so a confident node is not dragged around by a newcomer, and a
 * newcomer settles quickly against confident peers.
 *
 * @param random uniform in [0, 1); only used to pick a direction when both points coincide.
 * @throws {InvalidCoordinateError} for an RTT that is not a finite number in `[0, maxRttMs]`,
 *   or for an invalid local or remote coordinate.
 */
export function updateCoordinate(
  local: NetworkCoordinate,
  remote: NetworkCoordinate,
  rttMs: number,
  random: () => number,
  config: VivaldiConfig = DEFAULT_VIVALDI_CONFIG,
): NetworkCoordinate {
  if (typeof rttMs !== 'number' || !Number.isFinite(rttMs) || rttMs < 0 || rttMs > VIVALDI.maxRttMs) {
    throw new InvalidCoordinateError(`RTT sample ${String(rttMs)} is not in [0, ${VIVALDI.maxRttMs}] ms`);
  }
  checkCoordinate(local, 'local coordinate');
  checkCoordinate(remote, 'remote coordinate');
  const rtt = Math.max(rttMs, VIVALDI.minRttMs);
  const predicted = estimateRtt(local, remote);
  const relativeError = Math.abs(predicted - rtt) / rtt;

  // Both sides at error 0 would divide by zero; treat them as equally (un)sure.
  const errorSum = local.error + remote.error;
  const weight = errorSum > 0 ? local.error / errorSum : 0.5;
  const error = Math.min(
    config.maxError,
    config.errorWeight * weight * relativeError + local.error * (1 - config.errorWeight * weight),
  );

  const force = config.timestep * weight * (rtt - predicted);
  let moved = push(local, remote, force, random, config);
  if (config.gravityMs !== undefined) moved = pullTowardsOrigin(moved, config);
  return freeze(moved.vector, moved.height, error);
}

interface Point {
  readonly vector: readonly number[];
  readonly height: number;
}

/** Moves `local` by `force` ms along the direction from `remote` to `local` (heights included). */
function push(
  local: NetworkCoordinate,
  remote: NetworkCoordinate,
  force: number,
  random: () => number,
  config: VivaldiConfig,
): Point {
  const diff = local.vector.map((x, i) => x - (remote.vector[i] as number));
  const length = norm(diff);
  const flat = length <= 1e-9;
  // Coincident points have no direction between them: pick one at random (the only use of
  // `random`), otherwise two fresh nodes at the origin could never separate.
  const direction = flat ? randomUnitVector(random) : diff.map((x) => x / length);
  const vector = local.vector.map((x, i) => x + (direction[i] as number) * force);
  // Heights are the part of the distance that no direction can explain; they take their share
  // of the step in proportion to their share of the predicted distance.
  const height = flat
    ? local.height
    : Math.max(config.minHeightMs, local.height + ((local.height + remote.height) * force) / length);
  return { vector, height };
}

/** A pull towards the origin that grows with the square of the distance from it. */
function pullTowardsOrigin(p: Point, config: VivaldiConfig): Point {
  const gravity = config.gravityMs as number;
  const distance = norm(p.vector);
  if (distance <= 1e-9) return p;
  const pull = (distance / gravity) ** 2;
  const scale = Math.max(0, distance - pull) / distance;
  return { vector: p.vector.map((x) => x * scale), height: p.height };
}

function randomUnitVector(random: () => number): number[] {
  for (let attempt = 0; attempt < 8; attempt++) {
    const v = Array.from({ length: COORDINATE_DIMENSIONS }, () => random() - 0.5);
    const n = norm(v);
    if (n > 1e-9 && Number.isFinite(n)) return v.map((x) => x / n);
  }
  // A degenerate `random` (always the same value): any fixed axis will do.
  return Array.from({ length: COORDINATE_DIMENSIONS }, (_, i) => (i === 0 ? 1 : 0));
}

function freeze(vector: readonly number[], height: number, error: number): NetworkCoordinate {
  const limit = VIVALDI.maxComponentMs;
  const clamp = (x: number) => (Number.isFinite(x) ? Math.max(-limit, Math.min(limit, x)) : 0);
  return Object.freeze({
    vector: Object.freeze(vector.map(clamp)),
    height: Number.isFinite(height) ? Math.min(limit, Math.max(0, height)) : VIVALDI.minHeightMs,
    error: Number.isFinite(error) ? Math.max(0, error) : VIVALDI.maxError,
  });
}

function norm(v: readonly number[]): number {
  let sum = 0;
  for (const x of v) sum += x * x;
  return Math.sqrt(sum);
}

function euclidean(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    sum += d * d;
  }
  return Math.sqrt(sum);
}
