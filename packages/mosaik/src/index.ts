/**
 * mosaik: Batteries-included mosaik: the Network facade, re-exports and the mosaik CLI.
 *
 * Not implemented yet; see the project's open issues.
 */
export {};
