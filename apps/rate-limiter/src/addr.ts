/** The text form of a gateway's mosaik address, for `--bootstrap`: `<peer id>@<ip:port>[,<ip:port>…]`. */
import { type EndpointAddr, InvalidArgumentError, PeerId } from 'mosaik';

/** `addr` as `<64-hex peer id>@<ip:port>,<ip:port>`. */
export function formatAddr(addr: EndpointAddr): string {
  return `${addr.id.toString()}@${addr.directAddresses.join(',')}`;
}

/** Parses {@link formatAddr}'s form; throws `InvalidArgumentError` with what is wrong. */
export function parseAddr(text: string): EndpointAddr {
  const at = text.indexOf('@');
  if (at < 0) throw new InvalidArgumentError(`expected <peer id>@<ip:port>, got ${JSON.stringify(text)}`);
  let id: PeerId;
  try {
    id = PeerId.parse(text.slice(0, at));
  } catch (cause) {
    throw new InvalidArgumentError(`invalid peer id in ${JSON.stringify(text)}`, { cause });
  }
  const directAddresses = text
    .slice(at + 1)
    .split(',')
    .filter((a) => a !== '');
  for (const a of directAddresses) {
    if (!/^(?:\[[0-9a-fA-F:.]+\]|[0-9.]+):\d{1,5}$/.test(a))
      throw new InvalidArgumentError(`invalid socket address ${JSON.stringify(a)} (want ip:port)`);
  }
  if (directAddresses.length === 0)
    throw new InvalidArgumentError(`no address after @ in ${JSON.stringify(text)}`);
  return { id, directAddresses };
}
