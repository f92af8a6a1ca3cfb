/**
 * @mosaik/discovery: Signed peer entries, gossip, catalog, sync, ping/RTT, DHT and mDNS.
 *
 * Not implemented yet; see the project's open issues.
 */
export {};
