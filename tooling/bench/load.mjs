// Shared by the benchmarks (dev only): closed-loop load, the way every put benchmark here drives
// a system (ours, etcd, NATS): `clients` loops each await one operation after the other.

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The `p` quantile of ascending `sorted` (NaN when empty).
 * @param {readonly number[]} sorted @param {number} p
 */
export function quantile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return /** @type {number} */ (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]);
}

/**
 * Runs `clients` loops of `op(client, seq)` (`seq` counts operations across all loops). After
 * `warmupMs` it counts completed operations and their latency for `ms`, then stops the loops and
 * waits for them. An operation that throws fails the run, unless `onError` is given: then it is
 * counted in `failed`, not timed, and `onError` (which may wait) runs before the loop goes on.
 *
 * @param {{
 *   clients: number,
 *   warmupMs: number,
 *   ms: number,
 *   op: (client: number, seq: number) => Promise<unknown>,
 *   onError?: (error: unknown, failed: number) => Promise<void> | void,
 * }} load
 */
export async function closedLoop({ clients, warmupMs, ms, op, onError }) {
  /** @type {number[]} */
  const latencies = [];
  let measuring = false;
  let stop = false;
  let count = 0;
  let failed = 0;
  let seq = 0;
  /** @param {number} client */
  const loop = async (client) => {
    while (!stop) {
      const t0 = performance.now();
      try {
        await op(client, seq++);
      } catch (error) {
        if (onError === undefined) throw error;
        failed++;
        await onError(error, failed);
        continue;
      }
      if (measuring) {
        latencies.push(performance.now() - t0);
        count++;
      }
    }
  };
  const running = Array.from({ length: clients }, (_, client) => loop(client));
  await sleep(warmupMs);
  measuring = true;
  const start = performance.now();
  await sleep(ms);
  measuring = false;
  const measured = performance.now() - start;
  stop = true;
  await Promise.all(running);
  latencies.sort((a, b) => a - b);
  return {
    count,
    failed,
    ms: measured,
    rate: (count / measured) * 1000,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
  };
}
