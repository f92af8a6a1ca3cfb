/**
 * @mosaik/id: Ids, digests, keys, canonical encoding and small async primitives.
 *
 * Not implemented yet; see the project's open issues.
 */
export {};
