/**
 * @mosaik/discovery/zero-config: `addZeroConfigSources` starts the DHT and mDNS address sources on
 * a running `Discovery` from the `dht` / `mdns` switches that `Network.create` takes.
 *
 * This subpath loads both the DHT and the mDNS sources, so it needs the optional peer dependencies
 * `bittorrent-dht`, `dns-packet` and `multicast-dns`; the `mosaik` package brings them along.
 *
 * @packageDocumentation
 */
export {
  addZeroConfigSources,
  type DhtOptions,
  type MdnsOptions,
  type ZeroConfigOptions,
  type ZeroConfigSources,
} from './dht/zero-config.js';
