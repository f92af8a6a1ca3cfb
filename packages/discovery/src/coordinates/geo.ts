/**
 * Where a node says it is: an optional `region` name (`'eu-west'`, `'fra1'`: any label the
 * operator picks, compared for equality only) and an optional `location` on the globe.
 * Both are self-declared and signed by the node; nothing checks them against reality.
 */
import { InvalidCoordinateError } from '../errors.js';

/** A point on the globe, degrees (WGS 84 latitude and longitude). */
export interface GeoLocation {
  /** Latitude in degrees, −90 … 90. */
  readonly lat: number;
  /** Longitude in degrees, −180 … 180. */
  readonly lon: number;
}

/** Longest region label, in UTF-16 code units. */
export const MAX_REGION_LENGTH = 64;

/**
 * Locations travel as integers in units of 10⁻⁵ degree (about a metre), which encodes smaller
 * than a float and makes one location have exactly one encoding.
 */
export const LOCATION_SCALE = 100_000;

/** Mean Earth radius, km. */
const EARTH_RADIUS_KM = 6371.0088;

/** `true` when `region` is a non-empty string of at most {@link MAX_REGION_LENGTH} characters. */
export function isValidRegion(region: unknown): region is string {
  return typeof region === 'string' && region.length > 0 && region.length <= MAX_REGION_LENGTH;
}

/**
 * The region label, checked.
 * @throws {InvalidCoordinateError} unless it is a string of 1 to `MAX_REGION_LENGTH` characters.
 */
export function checkRegion(region: unknown): string {
  if (!isValidRegion(region)) {
    throw new InvalidCoordinateError(`region must be a string of 1 to ${MAX_REGION_LENGTH} characters`);
  }
  return region;
}

/** `true` when `loc` has a finite latitude in [−90, 90] and longitude in [−180, 180]. */
export function isValidLocation(loc: unknown): loc is GeoLocation {
  if (typeof loc !== 'object' || loc === null) return false;
  const { lat, lon } = loc as Record<string, unknown>;
  return (
    typeof lat === 'number' &&
    typeof lon === 'number' &&
    Number.isFinite(lat) &&
    Number.isFinite(lon) &&
    Math.abs(lat) <= 90 &&
    Math.abs(lon) <= 180
  );
}

/**
 * A valid location rounded to the precision it travels with (10⁻⁵ degree).
 * @throws {InvalidCoordinateError} unless latitude is within ±90 and longitude within ±180 degrees.
 */
export function checkLocation(loc: unknown): GeoLocation {
  if (!isValidLocation(loc)) {
    throw new InvalidCoordinateError('location must be {lat, lon} with |lat| ≤ 90 and |lon| ≤ 180 degrees');
  }
  return Object.freeze({
    lat: Math.round(loc.lat * LOCATION_SCALE) / LOCATION_SCALE,
    lon: Math.round(loc.lon * LOCATION_SCALE) / LOCATION_SCALE,
  });
}

/** Great-circle distance between two locations, km (haversine on a spherical Earth). */
export function greatCircleKm(a: GeoLocation, b: GeoLocation): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}
