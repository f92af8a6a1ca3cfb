/**
 * What the member processes of the multi-process tests (`chaos-member.ts`, `crash-member.ts`)
 * share: a node with a fixed identity, its address as it crosses the IPC channel, and joining the
 * peers the test names.
 */
import { Digest, PeerId, SecretKey } from '@mosaik/id';
import { type NodeOptions, startNode, type TestNode } from '@mosaik/testkit';

/** A node address as plain JSON (IPC cannot carry a `PeerId`). */
export interface WireAddr {
  readonly id: string;
  readonly directAddresses: string[];
}

/** Starts this process's node; the key comes from `identity`, so a restarted member keeps its peer id. */
export function startMemberNode(
  network: string,
  identity: string,
  groups: NodeOptions['groups'],
): Promise<TestNode> {
  return startNode(network, { secretKey: SecretKey.fromDigest(Digest.from(identity)), groups });
}

/** The node's address for the test. */
export function wireAddrOf(member: TestNode): WireAddr {
  const a = member.node.addr();
  return { id: a.id.toString(), directAddresses: [...a.directAddresses] };
}

/** Syncs the catalog with every peer the test named (unreachable ones are skipped). */
export async function joinPeers(member: TestNode, addrs: readonly WireAddr[]): Promise<void> {
  await Promise.all(
    addrs.map((p) =>
      member.discovery
        .syncWith({ id: PeerId.parse(p.id), directAddresses: p.directAddresses })
        .catch(() => {}),
    ),
  );
}
