/**
 * Which eligible producers a consumer attaches to, per its `prefer` option. Pure: the caller
 * gathers each candidate's measured RTT and coordinate estimate, and the local region and
 * location, so the policy is testable without a network.
 */
import { type GeoLocation, greatCircleKm, type PeerEntry } from '@mosaik/discovery';
import type { ProducerPreference } from '../def.js';

/** An eligible producer as the ranking sees it. */
export interface Candidate {
  readonly entry: PeerEntry;
  /** Smoothed RTT the local node measured, ms. */
  readonly rtt: number | undefined;
  /** RTT estimated from network coordinates, ms (for producers never measured). */
  readonly estimate: number | undefined;
}

/** Where the local node is, as its own entry says. */
export interface LocalPlacement {
  readonly region?: string | undefined;
  readonly location?: GeoLocation | undefined;
}

/**
 * `true` when a producer without a measured RTT should be pinged before it can be considered.
 * `'all'` keeps the probe-first rule (RTT predicates and `maxRtt` want a measurement); the RTT
 * rankings need either a measurement or an estimate; region and distance need neither.
 */
export function needsProbe(prefer: ProducerPreference, estimate: number | undefined): boolean {
  if (prefer === 'all') return true;
  if (prefer === 'lowest-rtt' || (typeof prefer === 'object' && 'best' in prefer))
    return estimate === undefined;
  return false;
}

/** The candidates to attach to, best first where `prefer` ranks them. */
export function selectProducers<C extends Candidate>(
  eligible: readonly C[],
  prefer: ProducerPreference,
  local: LocalPlacement,
): C[] {
  if (prefer === 'all') return [...eligible];
  if (prefer === 'same-region') {
    if (local.region === undefined) return [...eligible];
    const mine = eligible.filter((c) => c.entry.region === local.region);
    // A preference, not a requirement: with no producer in the region, take them all.
    return mine.length > 0 ? mine : [...eligible];
  }
  if (prefer === 'lowest-rtt') return ranked(eligible, byRtt).slice(0, 1);
  if ('best' in prefer) return ranked(eligible, byRtt).slice(0, prefer.best);
  const here = local.location;
  const distance = (c: Candidate) =>
    here === undefined || c.entry.location === undefined
      ? Number.POSITIVE_INFINITY
      : greatCircleKm(here, c.entry.location);
  return ranked(eligible, (a, b) => compareNumbers(distance(a), distance(b)) || byRtt(a, b)).slice(
    0,
    prefer.nearest,
  );
}

/** Measured RTT where known, else the estimate; producers with neither rank last. */
export function rankingRtt(c: Candidate): number {
  return c.rtt ?? c.estimate ?? Number.POSITIVE_INFINITY;
}

function byRtt(a: Candidate, b: Candidate): number {
  return compareNumbers(rankingRtt(a), rankingRtt(b));
}

/** Sorted by `compare`, ties broken by peer id so every run picks the same producers. */
function ranked<C extends Candidate>(items: readonly C[], compare: (a: C, b: C) => number): C[] {
  return [...items].sort((a, b) => {
    const c = compare(a, b);
    if (c !== 0) return c;
    const ka = a.entry.peerId.toString();
    const kb = b.entry.peerId.toString();
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

function compareNumbers(a: number, b: number): number {
  return a === b ? 0 : a < b ? -1 : 1;
}
