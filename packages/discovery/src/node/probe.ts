/**
 * Which catalog peers one RTT probe round pings. Each probe is a connection, so pinging every
 * peer each round cost every node O(n) handshakes per interval and a swarm O(n²); with a bound,
 * every node's cost per round is constant and a peer's RTT is refreshed every ⌈n / limit⌉
 * rounds instead. Pure: the caller keeps the times and supplies the randomness.
 */

/**
 * Up to `limit` keys of `peers`, those probed longest ago first (never probed before any other),
 * ties in random order. Every peer when there are at most `limit`.
 */
export function probeRound(
  peers: readonly string[],
  lastProbed: ReadonlyMap<string, number>,
  limit: number,
  random: () => number = Math.random,
): string[] {
  if (peers.length <= limit) return [...peers];
  const keyed = peers.map((peer) => ({ peer, at: lastProbed.get(peer) ?? -1, tie: random() }));
  keyed.sort((a, b) => a.at - b.at || a.tie - b.tie);
  return keyed.slice(0, limit).map((k) => k.peer);
}
