/**
 * @mosaik/tickets: tickets, expirations, ticket validators and the JWT validator.
 *
 * @packageDocumentation
 */
export { InvalidTicketError, TicketConfigError, type TicketsErrorCode } from './errors.js';
export { Expiration } from './expiration.js';
export type { JwtAlgorithm, JwtEcAlgorithm, JwtHmacAlgorithm } from './jwt/algorithms.js';
export { JwtTicketBuilder } from './jwt/builder.js';
export type { JsonValue } from './jwt/claims.js';
export { generateJwtKeyPair, type JwtKeyPair } from './jwt/generate.js';
export type { AsymmetricKeyInput, JwtSigningKey, JwtVerifyingKey } from './jwt/keys.js';
export { Jwt, Jwt as JwtValidator, type JwtOptions, MAX_JWT_BYTES } from './jwt/validator.js';
export { MAX_TIMER_DELAY, type ScheduleExpiryOptions, scheduleExpiry } from './schedule.js';
export { Ticket } from './ticket.js';
export { bestExpiration, type TicketValidator, type ValidateOptions, validateAll } from './validator.js';
