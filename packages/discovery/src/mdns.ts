/**
 * @mosaik/discovery/mdns: bootstrap on a LAN with multicast DNS. Nodes answer and query the
 * `_mosaik._udp.local` service on one interface and dial the peers of their own network they hear of.
 *
 * This subpath needs the optional peer dependency `multicast-dns` (`npm install multicast-dns`);
 * the `mosaik` package brings it along.
 *
 * @packageDocumentation
 */
export {
  defaultMdnsInterface,
  MDNS_PORT,
  MDNS_SERVICE,
  MdnsAddressSource,
  type MdnsSourceOptions,
} from './mdns/source.js';
