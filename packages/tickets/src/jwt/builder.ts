import type { KeyObject } from 'node:crypto';
import type { PeerId } from '@mosaik/id';
import { SignJWT } from 'jose';
import { TicketConfigError } from '../errors.js';
import { Expiration } from '../expiration.js';
import { Ticket } from '../ticket.js';
import { isJsonValue, type JsonValue, REGISTERED_CLAIMS } from './claims.js';
import { importSigningKey, type JwtSigningKey } from './keys.js';
import { Jwt } from './validator.js';

/**
 * Issues JWT tickets (class {@link Jwt.CLASS}) for peers, signed with jose.
 *
 * Defaults: `sub` is the peer id in lowercase hex (what the {@link Jwt} validator expects),
 * `iat` is the time of {@link JwtTicketBuilder.build}, and there is **no `exp`** unless
 * {@link JwtTicketBuilder.expiresAt} or {@link JwtTicketBuilder.expiresIn} is called: the
 * default validator rejects such tokens, so set an expiry or use `allowNoExpiry`.
 *
 * @example
 * ```ts
 * const ticket = await new JwtTicketBuilder({ alg: 'HS256', secret })
 *   .issuer('my-issuer')
 *   .expiresIn(3_600_000)
 *   .build(peerId);
 * ```
 */
export class JwtTicketBuilder {
  readonly #alg: string;
  readonly #key: KeyObject;
  #issuer: string | undefined;
  #subject: string | undefined;
  #audience: string | undefined;
  #tokenId: string | undefined;
  #expires: Expiration = Expiration.never();
  #expiresIn: number | undefined;
  #notBefore: number | undefined;
  #issuedAt: number | undefined;
  readonly #claims = new Map<string, JsonValue>();

  /** @throws TicketConfigError on an unusable signing key. */
  constructor(key: JwtSigningKey) {
    this.#key = importSigningKey(key);
    this.#alg = key.alg;
  }

  /** Sets `iss`. */
  issuer(issuer: string): this {
    this.#issuer = nonEmpty('issuer', issuer);
    return this;
  }

  /** Sets a fixed `sub` instead of the peer id (the default validator then refuses the ticket). */
  subject(subject: string): this {
    this.#subject = nonEmpty('subject', subject);
    return this;
  }

  /** Sets `aud` (a single string). */
  audience(audience: string): this {
    this.#audience = nonEmpty('audience', audience);
    return this;
  }

  /** Sets `jti`. */
  tokenId(jti: string): this {
    this.#tokenId = nonEmpty('tokenId', jti);
    return this;
  }

  /** Sets `exp` to an expiration (`never` removes it) or an instant. */
  expiresAt(when: Expiration | Date | number): this {
    this.#expires = when instanceof Expiration ? when : Expiration.at(when);
    this.#expiresIn = undefined;
    return this;
  }

  /** Sets `exp` to `ms` milliseconds after the time of {@link JwtTicketBuilder.build}. */
  expiresIn(ms: number): this {
    if (!Number.isFinite(ms)) throw new TicketConfigError('expiresIn needs a finite duration');
    this.#expiresIn = ms;
    return this;
  }

  /** Sets `nbf`. */
  notBefore(when: Date | number): this {
    this.#notBefore = instant('notBefore', when);
    return this;
  }

  /** Sets `iat` (default: the time of {@link JwtTicketBuilder.build}). */
  issuedAt(when: Date | number): this {
    this.#issuedAt = instant('issuedAt', when);
    return this;
  }

  /** Adds a custom claim; registered names (`iss`, `exp`, ...) have their own methods. */
  claim(name: string, value: JsonValue): this {
    if (REGISTERED_CLAIMS.has(name)) throw new TicketConfigError(`use the dedicated method for "${name}"`);
    if (!isJsonValue(value)) throw new TicketConfigError(`claim "${name}" is not a JSON value`);
    this.#claims.set(name, value);
    return this;
  }

  /** Signs a ticket for `peer`. */
  async build(peer: PeerId, now: number = Date.now()): Promise<Ticket> {
    return new Ticket(Jwt.CLASS, new TextEncoder().encode(await this.token(peer, now)));
  }

  /** Signs and returns the compact JWS string for `peer`. */
  async token(peer: PeerId, now: number = Date.now()): Promise<string> {
    const exp = this.#expiresIn !== undefined ? now + this.#expiresIn : this.#expires.at;
    const payload: Record<string, JsonValue> = {};
    if (this.#issuer !== undefined) payload.iss = this.#issuer;
    payload.sub = this.#subject ?? peer.toString();
    if (this.#audience !== undefined) payload.aud = this.#audience;
    if (exp !== undefined) payload.exp = toSeconds(exp);
    if (this.#notBefore !== undefined) payload.nbf = toSeconds(this.#notBefore);
    payload.iat = toSeconds(this.#issuedAt ?? now);
    if (this.#tokenId !== undefined) payload.jti = this.#tokenId;
    for (const [name, value] of [...this.#claims].sort(([a], [b]) => (a < b ? -1 : 1))) payload[name] = value;
    return new SignJWT(payload).setProtectedHeader({ alg: this.#alg, typ: 'JWT' }).sign(this.#key);
  }
}

function toSeconds(ms: number): number {
  if (ms < 0) throw new TicketConfigError('JWT times cannot be before 1970');
  return Math.floor(ms / 1000);
}

function instant(name: string, when: Date | number): number {
  const ms = when instanceof Date ? when.getTime() : when;
  if (typeof ms !== 'number' || !Number.isFinite(ms))
    throw new TicketConfigError(`${name} needs a finite time`);
  return ms;
}

function nonEmpty(name: string, value: string): string {
  if (typeof value !== 'string' || value === '')
    throw new TicketConfigError(`${name} must be a non-empty string`);
  return value;
}
