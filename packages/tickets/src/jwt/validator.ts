import { type Digest, encodeCanonical, id, type PeerId, type UniqueId } from '@mosaik/id';
import { InvalidTicketError, TicketConfigError } from '../errors.js';
import { Expiration } from '../expiration.js';
import type { TicketValidator } from '../validator.js';
import {
  isJsonValue,
  type JsonValue,
  jsonEquals,
  REGISTERED_CLAIMS,
  readRegisteredClaims,
} from './claims.js';
import { decodeBase64Url, decodeUtf8, quote } from './encoding.js';
import { type ImportedVerifyingKey, importVerifyingKey, type JwtVerifyingKey } from './keys.js';

/** Configuration of the {@link Jwt} validator. */
export interface JwtOptions {
  /** The verifying key, or several (key rotation): any key whose algorithm is the token's may verify. */
  readonly key: JwtVerifyingKey | readonly JwtVerifyingKey[];
  /** Accepted issuer(s); `iss` must be present and equal one of them. */
  readonly issuer: string | readonly string[];
  /** Accepted audience(s); when set, `aud` must be a single string equal to one of them. */
  readonly audience?: string | readonly string[];
  /**
   * A fixed required `sub`. By default `sub` must be the presenting peer's id in lowercase hex,
   * which binds the (public) ticket to that peer; a fixed subject removes that binding.
   */
  readonly subject?: string;
  /** Accept tokens without `exp` (they then never expire). Default `false`: `exp` is required. */
  readonly allowNoExpiry?: boolean;
  /** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. Default 0. */
  readonly clockTolerance?: number;
  /** Reject tokens whose `exp` is more than this many seconds ahead. */
  readonly maxLifetime?: number;
  /** Require `iat` and reject tokens issued more than this many seconds ago. */
  readonly maxAge?: number;
  /** Custom claims that must be present with exactly these JSON values. */
  readonly claims?: Readonly<Record<string, JsonValue>>;
  /** The clock, in ms since the epoch (default `Date.now`). Not part of the signature. */
  readonly clock?: () => number;
}

/** Tickets are gossiped in every peer entry; anything bigger than this is not a sane JWT. */
export const MAX_JWT_BYTES = 16 * 1024;

/**
 * Validates JWT tickets (class {@link Jwt.CLASS}): a compact JWS signed with HS256/384/512,
 * ES256/384/512 or EdDSA (Ed25519), whose `sub` names the presenting peer.
 *
 * Verification is synchronous (`node:crypto`), and the mosaik claim rules are applied here
 * rather than by jose's `jwtVerify`: the algorithm is pinned by the configured keys (`none` and
 * any other algorithm are refused), `aud` must be a single string, times are non-negative
 * integer seconds, `exp` is required unless {@link JwtOptions.allowNoExpiry}.
 *
 * The returned expiration is `exp + clockTolerance`: the instant the ticket stops validating.
 *
 * @example
 * ```ts
 * const jwt = new Jwt({ key: { alg: 'HS256', secret }, issuer: 'my-issuer' });
 * const expiration = jwt.validate(ticket.data, peerId);
 * ```
 */
export class Jwt implements TicketValidator {
  /** The JWT ticket class, `id("mosaik.tickets.jwt.v1")`. */
  static readonly CLASS: UniqueId = id('mosaik.tickets.jwt.v1');

  readonly class: UniqueId = Jwt.CLASS;
  readonly signature: UniqueId;

  readonly #keys: readonly ImportedVerifyingKey[];
  readonly #algorithms: readonly string[];
  readonly #issuers: readonly string[];
  readonly #audiences: readonly string[];
  readonly #subject: string | undefined;
  readonly #allowNoExpiry: boolean;
  readonly #tolerance: number;
  readonly #maxLifetime: number | undefined;
  readonly #maxAge: number | undefined;
  readonly #claims: ReadonlyArray<readonly [string, JsonValue]>;
  readonly #clock: () => number;

  /** @throws TicketConfigError on an unusable key or option. */
  constructor(options: JwtOptions) {
    const keys = (Array.isArray(options.key) ? options.key : [options.key]) as readonly JwtVerifyingKey[];
    if (keys.length === 0) throw new TicketConfigError('Jwt needs at least one key');
    // Keys are a set: order and duplicates do not change what verifies, nor the signature.
    const imported = new Map<string, ImportedVerifyingKey>();
    for (const key of keys) {
      const k = importVerifyingKey(key);
      imported.set(k.fingerprint.toString(), k);
    }
    this.#keys = [...imported.values()].sort((a, b) => a.fingerprint.compare(b.fingerprint));
    this.#algorithms = [...new Set(this.#keys.map((k) => k.alg))].sort();
    this.#issuers = stringSet('issuer', options.issuer, true);
    this.#audiences = stringSet('audience', options.audience, false);
    if (options.subject !== undefined && (typeof options.subject !== 'string' || options.subject === '')) {
      throw new TicketConfigError('subject must be a non-empty string');
    }
    this.#subject = options.subject;
    this.#allowNoExpiry = options.allowNoExpiry ?? false;
    this.#tolerance = seconds('clockTolerance', options.clockTolerance) ?? 0;
    this.#maxLifetime = seconds('maxLifetime', options.maxLifetime);
    this.#maxAge = seconds('maxAge', options.maxAge);
    this.#claims = customClaims(options.claims);
    this.#clock = options.clock ?? Date.now;
    this.signature = this.#computeSignature();
  }

  /**
   * Validates a JWT ticket presented by `peer`.
   *
   * @returns when the ticket stops validating (`never` only with `allowNoExpiry` and no `exp`).
   * @throws {@link InvalidTicketError} with a short reason; never any other error.
   */
  validate(data: Uint8Array, peer: PeerId): Expiration {
    try {
      return this.#validate(data, peer);
    } catch (err) {
      if (err instanceof InvalidTicketError) throw err;
      throw new InvalidTicketError(`malformed token (${err instanceof Error ? err.message : String(err)})`, {
        cause: err,
      });
    }
  }

  #validate(data: Uint8Array, peer: PeerId): Expiration {
    if (!(data instanceof Uint8Array)) throw new InvalidTicketError('ticket data is not bytes');
    if (data.length > MAX_JWT_BYTES) throw new InvalidTicketError(`token longer than ${MAX_JWT_BYTES} bytes`);
    const token = decodeUtf8(data);
    if (token === undefined) throw new InvalidTicketError('token is not UTF-8');
    const parts = token.split('.');
    if (parts.length !== 3)
      throw new InvalidTicketError('not a compact JWS (expected header.payload.signature)');
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];

    const header = decodeJsonObject(headerPart, 'header');
    const alg = header.alg;
    if (typeof alg !== 'string') throw new InvalidTicketError('header has no "alg"');
    if (alg.toLowerCase() === 'none') throw new InvalidTicketError('unsecured token (alg "none") refused');
    if (Object.hasOwn(header, 'crit'))
      throw new InvalidTicketError('header "crit" extensions are not supported');
    const candidates = this.#keys.filter((k) => k.alg === alg);
    if (candidates.length === 0) {
      throw new InvalidTicketError(
        `algorithm ${quote(alg)} not accepted (expected ${this.#algorithms.join(', ')})`,
      );
    }

    const signature = decodeBase64Url(signaturePart);
    if (signature === undefined) throw new InvalidTicketError('signature is not base64url');
    const signingInput = Buffer.from(`${headerPart}.${payloadPart}`, 'ascii');
    if (!candidates.some((k) => k.verify(signingInput, signature))) {
      throw new InvalidTicketError('signature does not verify');
    }

    const payload = decodeJsonObject(payloadPart, 'payload');
    const claims = readRegisteredClaims(payload);
    const now = this.#clock() / 1000;
    const tolerance = this.#tolerance;

    if (claims.iss === undefined) throw new InvalidTicketError('missing issuer');
    if (!this.#issuers.includes(claims.iss))
      throw new InvalidTicketError(`issuer ${quote(claims.iss)} not accepted`);

    if (claims.sub === undefined) throw new InvalidTicketError('missing subject');
    const subject = this.#subject ?? peer.toString();
    if (claims.sub !== subject) {
      throw new InvalidTicketError(
        this.#subject === undefined
          ? `subject ${quote(claims.sub)} is not the presenting peer ${peer.short()}`
          : `subject ${quote(claims.sub)} not accepted`,
      );
    }

    if (claims.nbf !== undefined && claims.nbf > now + tolerance) {
      throw new InvalidTicketError(`not valid before ${isoSeconds(claims.nbf)}`);
    }
    if (claims.exp === undefined) {
      if (!this.#allowNoExpiry) throw new InvalidTicketError('missing expiry ("exp")');
    } else if (claims.exp + tolerance <= now) {
      throw new InvalidTicketError(`expired at ${isoSeconds(claims.exp)}`);
    }
    if (this.#maxLifetime !== undefined && claims.exp !== undefined && claims.exp - now > this.#maxLifetime) {
      throw new InvalidTicketError(`lifetime exceeds ${this.#maxLifetime} s`);
    }
    if (this.#maxAge !== undefined) {
      if (claims.iat === undefined) throw new InvalidTicketError('missing issued-at ("iat")');
      if (Math.max(0, now - claims.iat) > this.#maxAge + tolerance) {
        throw new InvalidTicketError(`issued more than ${this.#maxAge} s ago`);
      }
    }

    if (this.#audiences.length > 0) {
      if (claims.aud === undefined) throw new InvalidTicketError('missing audience');
      if (!this.#audiences.includes(claims.aud)) {
        throw new InvalidTicketError(`audience ${quote(claims.aud)} not accepted`);
      }
    }

    for (const [name, expected] of this.#claims) {
      if (!Object.hasOwn(payload, name)) throw new InvalidTicketError(`missing claim ${quote(name)}`);
      if (!jsonEquals(payload[name], expected))
        throw new InvalidTicketError(`claim ${quote(name)} does not match`);
    }

    return claims.exp === undefined ? Expiration.never() : Expiration.at((claims.exp + tolerance) * 1000);
  }

  /**
   * `CLASS.derive(canonical CBOR of the whole configuration)`. Keys enter as
   * `[alg, fingerprint]` sorted by fingerprint; issuers and audiences sorted (they are sets);
   * custom claims as a map (canonical CBOR sorts keys). The clock is not configuration.
   */
  #computeSignature(): Digest {
    return Jwt.CLASS.derive(
      encodeCanonical({
        v: 1,
        keys: this.#keys.map((k) => [k.alg, k.fingerprint.bytes]),
        issuers: this.#issuers,
        audiences: this.#audiences,
        subject: this.#subject ?? null,
        allowNoExpiry: this.#allowNoExpiry,
        clockTolerance: this.#tolerance,
        maxLifetime: this.#maxLifetime ?? null,
        maxAge: this.#maxAge ?? null,
        claims: Object.fromEntries(this.#claims),
      }),
    );
  }
}

function decodeJsonObject(part: string, what: string): Record<string, unknown> {
  const bytes = decodeBase64Url(part);
  if (bytes === undefined) throw new InvalidTicketError(`${what} is not base64url`);
  const text = decodeUtf8(bytes);
  if (text === undefined) throw new InvalidTicketError(`${what} is not UTF-8`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidTicketError(`${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidTicketError(`${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

function isoSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}

function stringSet(name: string, value: string | readonly string[] | undefined, required: boolean): string[] {
  const list = value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
  if (list.some((s) => typeof s !== 'string' || s === '')) {
    throw new TicketConfigError(`${name} must be non-empty strings`);
  }
  if (required && list.length === 0) throw new TicketConfigError(`Jwt needs an ${name}`);
  return [...new Set(list)].sort();
}

function seconds(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TicketConfigError(`${name} must be a non-negative number of seconds`);
  }
  return value;
}

function customClaims(claims: JwtOptions['claims']): Array<readonly [string, JsonValue]> {
  if (claims === undefined) return [];
  const entries = Object.entries(claims).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, value] of entries) {
    if (REGISTERED_CLAIMS.has(name)) {
      throw new TicketConfigError(`claim "${name}" is registered; use the dedicated option`);
    }
    if (!isJsonValue(value)) throw new TicketConfigError(`claim "${name}" is not a JSON value`);
  }
  return entries;
}
