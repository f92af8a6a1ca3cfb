/** What the DHT and mDNS address sources need from the node they run on. */
import { isIP } from 'node:net';
import type { EndpointAddr } from '@mosaik/transport';

/** Result of pinging a peer found in a slot. */
export interface PingReply {
  /** How long the peer has been running, if its reply says. */
  readonly uptimeMs?: number;
  /** The address from the peer's own signed reply, preferred over the slot's record. */
  readonly addr?: EndpointAddr;
}

/**
 * Pings a peer (`/mosaik/discovery/ping/1.0`); rejects when it cannot be reached. Must give up
 * when `signal` aborts.
 */
export type PingFunction = (addr: EndpointAddr, signal: AbortSignal) => Promise<PingReply>;

/** The sink and context an address source receives (the Discovery `AddressSource` contract). */
export type AddressSink = (addrs: readonly EndpointAddr[]) => void;

/** Context of a running source: gossip neighbour count and the stop signal. */
export interface SourceContext {
  neighbours(): number;
  readonly signal: AbortSignal;
}

/** The canonical text of an address, to tell whether two addresses differ. */
export function addressKey(addr: EndpointAddr): string {
  return `${addr.id.toString()}|${[...new Set(addr.directAddresses)].sort().join(',')}|${addr.relayUrl ?? ''}`;
}

/**
 * Forwards addresses to a sink only when they are new or changed, so a 5 s poll does not re-dial
 * every known peer; with no gossip neighbours everything is forwarded again (a node that
 * lost its neighbours may have missed updates, so it re-sends everything once it is back).
 */
export class AddressForwarder {
  readonly #sent = new Map<string, string>();

  constructor(
    private readonly sink: AddressSink,
    private readonly neighbours: () => number,
  ) {}

  /** Sends the addresses that are new, changed, or all of them while isolated. */
  forward(addrs: readonly EndpointAddr[]): void {
    const isolated = this.neighbours() === 0;
    const out: EndpointAddr[] = [];
    for (const addr of addrs) {
      const key = addressKey(addr);
      const peer = addr.id.toString();
      if (!isolated && this.#sent.get(peer) === key) continue;
      this.#sent.set(peer, key);
      out.push(addr);
    }
    if (out.length > 0) this.sink(out);
  }
}

/** `base + U[0, base/3]` ms: jitter so that nodes started together do not poll the
 * DHT in lockstep. */
export function pollDelay(baseMs: number, random: () => number = Math.random): number {
  return baseMs + random() * (baseMs / 3);
}

/**
 * Runs `fn` with a signal that aborts after `ms` or with `parent`; rejects at that moment even if
 * `fn` ignores its signal.
 */
export async function withTimeout<T>(
  ms: number,
  parent: AbortSignal,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const signal = AbortSignal.any([parent, controller.signal]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_, reject) => {
    timer = setTimeout(() => controller.abort(new Error(`timed out after ${ms} ms`)), ms);
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([fn(signal), stopped]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

/** True for `a.b.c.d:port` or `[v6]:port` with a port in 1..65535. */
export function isSocketAddress(s: string): boolean {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(s);
  if (!match) return false;
  const port = Number(match[3]);
  if (port < 1 || port > 65535) return false;
  return match[1] !== undefined ? isIP(match[1]) === 6 : isIP(match[2]!) === 4;
}
