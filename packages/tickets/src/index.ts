/**
 * @mosaik/tickets: Tickets, expirations, ticket validators and the JWT validator.
 *
 * Not implemented yet; see the project's open issues.
 */
export {};
