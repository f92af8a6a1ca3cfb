// Shared by the benchmarks (dev only): a node's first catalog sync when many nodes start at once.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Syncs `discovery`'s catalog with at least one of `seeds`, all tried at once, in up to `attempts`
 * rounds. On a busy machine with dozens of nodes starting together, seeds refuse syncs (`Busy`)
 * or time them out; one catalog is enough (gossip brings the rest), and a later round usually
 * finds a seed free. Rounds are spaced by a growing, jittered backoff so that the refused nodes
 * do not all come back at once.
 *
 * @param {{ syncWith(seed: unknown): Promise<void> }} discovery
 * @param {readonly unknown[]} seeds
 * @param {{ attempts?: number, backoffMs?: number }} [options]
 * @returns {Promise<void>}
 * @throws {Error} naming the number of seeds and rounds, with the last failure as its cause.
 */
export async function syncWithAnySeed(discovery, seeds, { attempts = 5, backoffMs = 200 } = {}) {
  if (seeds.length === 0) return;
  let lastFailure;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const results = await Promise.allSettled(seeds.map((seed) => discovery.syncWith(seed)));
    if (results.some((r) => r.status === 'fulfilled')) return;
    lastFailure = results.find((r) => r.status === 'rejected')?.reason;
    if (attempt < attempts) await sleep(backoffMs * attempt * (0.5 + Math.random()));
  }
  throw new Error(`could sync with none of ${seeds.length} seeds in ${attempts} rounds`, {
    cause: lastFailure,
  });
}
