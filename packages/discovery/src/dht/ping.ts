/** The ping the DHT source uses to check the peers it finds in slots, over discovery's ping ALPN. */
import type { Discovery } from '../node/discovery.js';
import type { PingFunction } from './types.js';

/** A {@link PingFunction} over discovery's ping ALPN; the reply's signed entry gives uptime and address. */
export function pingVia(discovery: Pick<Discovery, 'ping'>): PingFunction {
  return async (addr) => {
    const { entry } = await discovery.ping(addr);
    const { address } = entry.entry;
    return {
      uptimeMs: entry.entry.uptime(),
      addr: {
        id: address.peerId,
        directAddresses: address.directAddresses,
        ...(address.relayUrl === undefined ? {} : { relayUrl: address.relayUrl }),
      },
    };
  };
}
