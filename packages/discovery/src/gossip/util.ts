/** Small helpers shared by the gossip modules. */

/** A uniformly random element, or `undefined` when empty. */
export function pickRandom<T>(items: readonly T[], random: () => number): T | undefined {
  if (items.length === 0) return undefined;
  return items[Math.floor(random() * items.length)];
}

/** Up to `n` distinct random elements (partial Fisher-Yates on a copy). */
export function sampleRandom<T>(items: readonly T[], n: number, random: () => number): T[] {
  const copy = items.slice();
  const k = Math.min(n, copy.length);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(random() * (copy.length - i));
    const tmp = copy[i] as T;
    copy[i] = copy[j] as T;
    copy[j] = tmp;
  }
  return copy.slice(0, k);
}
