/**
 * @mosaik/transport: QUIC endpoint, ALPN router, address book, framed links and the network core.
 *
 * Not implemented yet; see the project's open issues.
 */
export {};
