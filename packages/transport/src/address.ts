import { isIPv4, isIPv6 } from 'node:net';
import { InvalidArgumentError, PeerId } from '@mosaik/id';
import {
  NativeEndpointAddr,
  type NativeEndpointAddrType,
  NativeEndpointId,
  type NativeEndpointIdType,
  toNative,
} from './native.js';

/** Where a peer can be reached: its id, direct `ip:port` addresses and home relay. */
export interface EndpointAddr {
  readonly id: PeerId;
  readonly relayUrl?: string | undefined;
  readonly directAddresses: readonly string[];
}

/**
 * Whether `s` is a socket address as the endpoint takes it: `a.b.c.d:port` or `[v6]:port`, with a
 * port from 0 to 65535. Host names are not resolved here, so `localhost:1234` is not one.
 */
export function isSocketAddress(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const colon = s.lastIndexOf(':');
  if (colon <= 0) return false;
  const host = s.slice(0, colon);
  const port = s.slice(colon + 1);
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65_535) return false;
  if (host.startsWith('[') && host.endsWith(']')) return isIPv6(host.slice(1, -1).replace(/%.*$/, ''));
  return isIPv4(host);
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

/**
 * Checks that `value` is an {@link EndpointAddr} (what `node.addr()` returns), so a malformed
 * address fails where it is given, with `what` naming it, instead of deep inside a dial.
 * Throws {@link InvalidArgumentError} saying what was expected.
 */
export function checkEndpointAddr(value: unknown, what: string): EndpointAddr {
  const expected = `expected an EndpointAddr { id: PeerId, directAddresses: string[], relayUrl?: string }, such as another node's \`net.addr\``;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(`${what}: ${expected}; got ${describeValue(value)}`);
  }
  const { id, directAddresses, relayUrl } = value as Record<string, unknown>;
  if (!(id instanceof PeerId)) {
    throw new InvalidArgumentError(
      `${what}.id: expected a PeerId (parse a string with PeerId.parse); got ${describeValue(id)}`,
    );
  }
  if (!Array.isArray(directAddresses)) {
    throw new InvalidArgumentError(
      `${what}.directAddresses: expected an array of "ip:port" strings; got ${describeValue(directAddresses)}`,
    );
  }
  for (const [i, a] of directAddresses.entries()) {
    if (!isSocketAddress(a)) {
      throw new InvalidArgumentError(
        `${what}.directAddresses[${i}]: expected "a.b.c.d:port" or "[v6]:port"; got ${describeValue(a)}`,
      );
    }
  }
  if (relayUrl !== undefined && (typeof relayUrl !== 'string' || !URL.canParse(relayUrl))) {
    throw new InvalidArgumentError(`${what}.relayUrl: expected a URL string; got ${describeValue(relayUrl)}`);
  }
  return value as EndpointAddr;
}

/** @internal Converts the binding's endpoint id to a PeerId. */
export function peerIdFromNative(id: NativeEndpointIdType): PeerId {
  return PeerId.fromBytes(Uint8Array.from(id.toBytes()));
}

/** @internal Converts the binding's address to ours. */
export function fromNativeAddr(addr: NativeEndpointAddrType): EndpointAddr {
  const relayUrl = addr.relayUrl() ?? undefined;
  return {
    id: peerIdFromNative(addr.id()),
    ...(relayUrl ? { relayUrl } : {}),
    directAddresses: addr.directAddresses(),
  };
}

/** @internal Converts our address to the binding's, for dialing. */
export function toNativeAddr(addr: EndpointAddr): NativeEndpointAddrType {
  const id = NativeEndpointId.fromBytes(toNative(addr.id.bytes));
  return new NativeEndpointAddr(id, addr.relayUrl ?? null, [...addr.directAddresses]);
}

/** Direct addresses kept per peer; the most recently observed come first. */
const MAX_DIRECT_ADDRESSES = 16;

/**
 * PeerId → known addresses, fed by observations from upper layers (bootstrap
 * configuration, discovery entries, gossip, DHT). Dialing merges what it is given
 * with what is known here, so it always uses the fullest address.
 */
export class AddressBook {
  readonly #entries = new Map<string, EndpointAddr>();

  /** Records addresses seen for a peer, merging with what is known. */
  observe(addr: EndpointAddr): void {
    this.#entries.set(addr.id.toString(), this.resolve(addr));
  }

  /** The known address of `peer`, if any. */
  get(peer: PeerId): EndpointAddr | undefined {
    return this.#entries.get(peer.toString());
  }

  /** The fullest address for a dial: the given one merged with what is known. */
  resolve(target: PeerId | EndpointAddr): EndpointAddr {
    const given: EndpointAddr = target instanceof PeerId ? { id: target, directAddresses: [] } : target;
    const known = this.#entries.get(given.id.toString());
    if (!known) return given;
    const direct = [...new Set([...given.directAddresses, ...known.directAddresses])].slice(
      0,
      MAX_DIRECT_ADDRESSES,
    );
    const relayUrl = given.relayUrl ?? known.relayUrl;
    return { id: given.id, ...(relayUrl ? { relayUrl } : {}), directAddresses: direct };
  }

  /** Drops what is known about `peer`. */
  forget(peer: PeerId): void {
    this.#entries.delete(peer.toString());
  }

  /** Number of peers with known addresses. */
  get size(): number {
    return this.#entries.size;
  }
}
