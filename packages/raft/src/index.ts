/**
 * @mosaik/raft: A pure, deterministic Raft core with a simulator and a linearizability checker.
 *
 * Not implemented yet; see the project's open issues.
 */
export {};
