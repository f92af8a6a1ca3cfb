/**
 * Compact wire forms of a network coordinate and a location, as carried in a peer entry.
 * An entry is gossiped to every node, so a coordinate travels as ten little-endian float32s
 * (40 bytes) rather than ten CBOR float64s (90 bytes); float32 keeps about seven significant
 * digits, far finer than any RTT estimate.
 */
import { fail, int } from '../check.js';
import { type GeoLocation, LOCATION_SCALE } from './geo.js';
import { COORDINATE_DIMENSIONS, type NetworkCoordinate, VIVALDI } from './vivaldi.js';

/** Bytes of an encoded coordinate: the vector, then height, then error. */
export const COORDINATE_BYTES = (COORDINATE_DIMENSIONS + 2) * 4;

/** The coordinate as float32s (the entry's wire form). */
export function encodeCoordinate(c: NetworkCoordinate): Uint8Array {
  const out = new Uint8Array(COORDINATE_BYTES);
  const view = new DataView(out.buffer);
  const values = [...c.vector, c.height, c.error];
  for (const [i, x] of values.entries()) view.setFloat32(i * 4, x, true);
  return out;
}

/**
 * Reads a coordinate from its wire form.
 * @throws {EntryDecodeError} unless it is exactly {@link COORDINATE_BYTES} bytes of finite
 *   numbers within the bounds every honest node stays in.
 */
export function decodeCoordinate(value: unknown, what: string): NetworkCoordinate {
  if (!(value instanceof Uint8Array)) return fail(`${what}: expected bytes`);
  if (value.length !== COORDINATE_BYTES)
    fail(`${what}: expected ${COORDINATE_BYTES} bytes, got ${value.length}`);
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const values = Array.from({ length: COORDINATE_DIMENSIONS + 2 }, (_, i) => view.getFloat32(i * 4, true));
  const vector = values.slice(0, COORDINATE_DIMENSIONS);
  const height = values[COORDINATE_DIMENSIONS] as number;
  const error = values[COORDINATE_DIMENSIONS + 1] as number;
  const limit = VIVALDI.maxComponentMs;
  if (!vector.every((x) => Number.isFinite(x) && Math.abs(x) <= limit))
    fail(`${what}: component out of range`);
  if (!(Number.isFinite(height) && height >= 0 && height <= limit)) fail(`${what}: height out of range`);
  if (!(Number.isFinite(error) && error >= 0 && error <= VIVALDI.maxError))
    fail(`${what}: error out of range`);
  return Object.freeze({ vector: Object.freeze(vector), height, error });
}

/** The coordinate as it reads after a trip through the wire (every number rounded to float32). */
export function roundCoordinate(c: NetworkCoordinate): NetworkCoordinate {
  return Object.freeze({
    vector: Object.freeze(c.vector.map(Math.fround)),
    height: Math.fround(c.height),
    error: Math.fround(c.error),
  });
}

/** `[lat, lon]` in units of 10⁻⁵ degree. */
export function encodeLocation(loc: GeoLocation): [number, number] {
  return [Math.round(loc.lat * LOCATION_SCALE), Math.round(loc.lon * LOCATION_SCALE)];
}

/** @throws {EntryDecodeError} unless two integers within ±90° and ±180°. */
export function decodeLocation(value: unknown, what: string): GeoLocation {
  if (!Array.isArray(value) || value.length !== 2) return fail(`${what}: expected [lat, lon]`);
  const lat = int(value[0], `${what}.lat`, -90 * LOCATION_SCALE, 90 * LOCATION_SCALE);
  const lon = int(value[1], `${what}.lon`, -180 * LOCATION_SCALE, 180 * LOCATION_SCALE);
  return Object.freeze({ lat: lat / LOCATION_SCALE, lon: lon / LOCATION_SCALE });
}
