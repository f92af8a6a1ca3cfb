import { createHmac } from 'node:crypto';
import { id, type PeerId, SecretKey } from '@mosaik/id';
import { Expiration, Jwt, type JwtOptions, JwtTicketBuilder, type Ticket } from '../src/index.js';

/** The reference suite's HS256 fixture: issuer and secret `H("mosaik.test.jwt.secret")`. */
export const TEST_ISSUER = 'mosaik.test.jwt.issuer';
export const TEST_SECRET: Uint8Array = id('mosaik.test.jwt.secret').bytes;

/** A fixed clock for deterministic validation: 2030-01-01T00:00:00Z. */
export const NOW = Date.UTC(2030, 0, 1);
export const clock = (): number => NOW;

export function peer(): PeerId {
  return SecretKey.generate().peerId;
}

export function hs256Validator(overrides: Partial<JwtOptions> = {}): Jwt {
  return new Jwt({ key: { alg: 'HS256', secret: TEST_SECRET }, issuer: TEST_ISSUER, clock, ...overrides });
}

export function hs256Builder(): JwtTicketBuilder {
  return new JwtTicketBuilder({ alg: 'HS256', secret: TEST_SECRET }).issuer(TEST_ISSUER);
}

/** A ticket valid for one hour from {@link NOW}, like the reference's test helper. */
export function validTicket(holder: PeerId): Promise<Ticket> {
  return hs256Builder().expiresAt(Expiration.after(3_600_000, NOW)).build(holder, NOW);
}

export function expiredTicket(holder: PeerId): Promise<Ticket> {
  return hs256Builder().expiresAt(Expiration.alreadyExpired(NOW)).build(holder, NOW);
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Hand-rolls a compact JWS, for headers and claims no well-behaved builder would produce. */
export function handRolled(
  header: Record<string, unknown>,
  claims: unknown,
  sign: (input: string) => string = (input) =>
    createHmac('sha256', TEST_SECRET).update(input).digest('base64url'),
): Uint8Array {
  const input = `${b64(header)}.${b64(claims)}`;
  return new TextEncoder().encode(`${input}.${sign(input)}`);
}

/** Standard claims for `holder`, valid for an hour from {@link NOW}. */
export function claimsFor(holder: PeerId, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: TEST_ISSUER, sub: holder.toString(), exp: NOW / 1000 + 3600, ...extra };
}
