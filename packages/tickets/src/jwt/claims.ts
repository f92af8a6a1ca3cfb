import { InvalidTicketError } from '../errors.js';
import { quote } from './encoding.js';

/** A JSON value, as custom claims carry. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** The registered claims, with the strict types mosaik requires. */
export interface RegisteredClaims {
  readonly iss?: string;
  readonly sub?: string;
  readonly aud?: string;
  readonly jti?: string;
  /** Seconds since the epoch. */
  readonly exp?: number;
  readonly nbf?: number;
  readonly iat?: number;
}

/** Claim names with a fixed meaning; custom claims may not use them. */
export const REGISTERED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'aud',
  'jti',
  'exp',
  'nbf',
  'iat',
]);

const STRING_CLAIMS = ['iss', 'sub', 'aud', 'jti'] as const;
const TIME_CLAIMS = ['exp', 'nbf', 'iat'] as const;

/** The latest second a JS `Date` can represent (±8.64e15 ms). */
const MAX_SECONDS = 8.64e12;

/**
 * Reads the registered claims with strict typing: `iss`, `sub`, `aud`, `jti` are single strings
 * (an `aud` array is refused, unlike jose's `jwtVerify`), times are non-negative integer seconds.
 *
 * @throws {@link InvalidTicketError} on the first claim of the wrong type.
 */
export function readRegisteredClaims(payload: Record<string, unknown>): RegisteredClaims {
  const claims: Record<string, string | number> = {};
  for (const name of STRING_CLAIMS) {
    if (!Object.hasOwn(payload, name)) continue;
    const value = payload[name];
    if (typeof value !== 'string') throw new InvalidTicketError(`claim "${name}" must be a single string`);
    claims[name] = value;
  }
  for (const name of TIME_CLAIMS) {
    if (!Object.hasOwn(payload, name)) continue;
    const value = payload[name];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_SECONDS) {
      throw new InvalidTicketError(
        `claim "${name}" must be a non-negative integer of seconds, got ${quote(value)}`,
      );
    }
    claims[name] = value;
  }
  return claims as RegisteredClaims;
}

/** Whether `value` is plain JSON data (finite numbers, no `undefined`, no class instances). */
export function isJsonValue(value: unknown): value is JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(isJsonValue);
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).every(isJsonValue);
  }
  return false;
}

/** Structural equality of two JSON values (object key order does not matter). */
export function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEquals(item, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length &&
    ka.every(
      (k) =>
        Object.hasOwn(b, k) &&
        jsonEquals((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
    )
  );
}
