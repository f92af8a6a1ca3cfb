/**
 * @mosaik/tickets: tickets, expirations, ticket validators and the JWT validator.
 *
 * @packageDocumentation
 */
export { InvalidTicket, TicketConfigError } from './errors.js';
export { Expiration } from './expiration.js';
export { MAX_TIMER_DELAY, type ScheduleExpiryOptions, scheduleExpiry } from './schedule.js';
export { Ticket } from './ticket.js';
export { bestExpiration, type TicketValidator, type ValidateOptions, validateAll } from './validator.js';
