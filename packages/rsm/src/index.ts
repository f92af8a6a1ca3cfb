/**
 * @mosaik/rsm: Consensus groups: bonds, the Raft driver, state machines and membership.
 *
 * Not implemented yet; see the project's open issues.
 */
export {};
