/**
 * The acceptor of `/mosaik/groups/1`: reads `Hello`, checks network and group, and hands the link
 * to that group's bond set. Bad input never escapes: the link is closed with a code and counted.
 */
import { equalBytes, type GroupId, toHex } from '@mosaik/id';
import type { Logger } from '@mosaik/metrics';
import { CloseCode, closeCodeName, type Link, type LocalNode } from '@mosaik/transport';
import type { BondSet } from './bonds.js';
import { HandshakeFailedError, recvHandshake } from './handshake.js';
import type { BondLink, LinkWrapper } from './link.js';
import type { GroupsMetrics } from './metrics.js';
import { GROUPS_ALPN, WireType } from './wire.js';

/** Routes incoming bond connections to the joined groups of one node. */
export class GroupsRouter {
  readonly #node: LocalNode;
  readonly #groups = new Map<string, BondSet>();
  readonly #metrics: GroupsMetrics;
  readonly #logger: Logger;
  readonly #handshakeTimeout: number;
  readonly #wrapLink: LinkWrapper | undefined;

  constructor(
    node: LocalNode,
    metrics: GroupsMetrics,
    logger: Logger,
    handshakeTimeout: number,
    wrapLink?: LinkWrapper,
  ) {
    this.#node = node;
    this.#wrapLink = wrapLink;
    this.#metrics = metrics;
    this.#logger = logger;
    this.#handshakeTimeout = handshakeTimeout;
    node.handle<unknown>(GROUPS_ALPN, (link) => this.#accept(link));
  }

  /** Closes with `code` (counted) and logs why. */
  async #refuse(link: BondLink, code: CloseCode, why: string): Promise<void> {
    this.#metrics.rejected.inc({ reason: closeCodeName(code) });
    this.#logger.debug({ peer: link.remoteId.short(), why }, 'bond connection refused');
    await link.close(code);
  }

  /** Makes a group reachable for incoming bonds. */
  register(group: GroupId, bonds: BondSet): void {
    this.#groups.set(group.toString(), bonds);
  }

  /** Stops routing to a group. */
  unregister(group: GroupId, bonds: BondSet): void {
    if (this.#groups.get(group.toString()) === bonds) this.#groups.delete(group.toString());
  }

  async #accept(raw: Link<unknown>): Promise<void> {
    const link: BondLink = this.#wrapLink?.(raw) ?? raw;
    const refuse = (code: CloseCode, why: string) => this.#refuse(link, code, why);
    let hello: Awaited<ReturnType<typeof recvHandshake>>;
    try {
      hello = await recvHandshake(link, this.#handshakeTimeout);
    } catch (error) {
      if (!(error instanceof HandshakeFailedError)) throw error;
      if (error.closeCode !== undefined)
        this.#metrics.rejected.inc({ reason: closeCodeName(error.closeCode) });
      this.#logger.debug({ peer: link.remoteId.short(), err: error.message }, 'bond handshake failed');
      return;
    }
    if (hello.t !== WireType.Hello) return refuse(CloseCode.InvalidHandshake, 'expected Hello');
    if (!equalBytes(hello.network, this.#node.networkId.bytes))
      return refuse(CloseCode.DifferentNetwork, 'other network');
    const bonds = this.#groups.get(toHex(hello.group));
    if (bonds === undefined) return refuse(CloseCode.GroupNotFound, 'group not joined');
    await bonds.accept(link, hello);
  }
}
