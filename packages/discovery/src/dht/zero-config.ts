/**
 * Plugging the DHT and mDNS sources into a running {@link Discovery}: the `dht` / `mdns` options
 * of a node. DHT bootstrap is on by default for real networks and off with the `local` transport
 * preset (a loopback-only node has no address worth publishing to the public DHT); mDNS is off
 * unless asked for.
 */
import type { LocalNode, TransportPreset } from '@mosaik/transport';
import { MdnsAddressSource, type MdnsSourceOptions } from '../mdns/source.js';
import type { Discovery } from '../node/discovery.js';
import { pingVia } from './ping.js';
import { DhtAddressSource, type DhtSourceOptions } from './source.js';

/** DHT options a node may set (everything else comes from the node). */
export type DhtOptions = Omit<DhtSourceOptions, 'networkId' | 'peerId' | 'addr' | 'ping' | 'logger'>;
/** mDNS options a node may set. */
export type MdnsOptions = Omit<MdnsSourceOptions, 'networkId' | 'peerId' | 'addr' | 'logger'>;

/** The zero-config switches of a node. */
export interface ZeroConfigOptions {
  /**
   * DHT bootstrap: `true` or options to enable, `false` to disable. Default: on, except with the
   * `local` preset or `noDhtBootstrap` in the discovery config.
   */
  readonly dht?: boolean | DhtOptions;
  /** mDNS on the LAN: `true` (first non-internal IPv4 interface) or options. Default off. */
  readonly mdns?: boolean | MdnsOptions;
  /** The node's transport preset, which decides the DHT default. */
  readonly preset?: TransportPreset;
}

/** The sources that were started, for inspection. */
export interface ZeroConfigSources {
  readonly dht?: DhtAddressSource;
  readonly mdns?: MdnsAddressSource;
}

/**
 * Starts the DHT and/or mDNS sources on `discovery` according to `options`. They stop when
 * discovery closes.
 *
 * @example
 * ```ts
 * const discovery = await Discovery.start(node);
 * addZeroConfigSources(discovery, node, { mdns: { interface: '192.168.1.10' } });
 * ```
 */
export function addZeroConfigSources(
  discovery: Discovery,
  node: LocalNode,
  options: ZeroConfigOptions = {},
): ZeroConfigSources {
  const logger = node.logger.child({ subsystem: 'bootstrap' });
  const common = { networkId: node.networkId, peerId: node.peerId, addr: () => node.addr(), logger };
  const dhtDefault = options.preset !== 'local' && !discovery.config.noDhtBootstrap;
  const dhtOption = options.dht ?? dhtDefault;
  let dht: DhtAddressSource | undefined;
  if (dhtOption !== false) {
    dht = new DhtAddressSource({
      ...(dhtOption === true ? {} : dhtOption),
      ...common,
      ping: pingVia(discovery),
    });
    discovery.addAddressSource(dht);
  }
  let mdns: MdnsAddressSource | undefined;
  if (options.mdns !== undefined && options.mdns !== false) {
    mdns = new MdnsAddressSource({ ...(options.mdns === true ? {} : options.mdns), ...common });
    discovery.addAddressSource(mdns);
  }
  return { ...(dht ? { dht } : {}), ...(mdns ? { mdns } : {}) };
}
