/**
 * @mosaik/streams: Typed pub/sub producers and consumers.
 *
 * Not implemented yet; see the project's open issues.
 */
export {};
