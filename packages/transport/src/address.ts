import { PeerId } from '@mosaik/id';
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
