/**
 * Syncs `discovery`'s catalog with at least one of `seeds`, all tried at once, in up to `attempts`
 * rounds (default 5) spaced by a growing, jittered backoff (default base 200 ms). Throws naming
 * the seeds and rounds, with the last failure as its cause.
 */
export function syncWithAnySeed<Seed>(
  discovery: { syncWith(seed: Seed): Promise<void> },
  seeds: readonly Seed[],
  options?: { attempts?: number; backoffMs?: number },
): Promise<void>;
