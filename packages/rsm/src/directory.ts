/**
 * Who the members of a group are, as a group member asks it: the {@link MemberDirectory}
 * interface, and its implementation on a node's discovery (the simulator has its own).
 */
import type { Discovery } from '@mosaik/discovery';
import { SignedPeerEntry } from '@mosaik/discovery';
import type { GroupId, PeerId } from '@mosaik/id';
import type { ListedPeer, TicketHolder } from './admission.js';

/** Outcome of feeding a peer entry received on a bond. */
export type FedEntry =
  | { readonly ok: true; readonly peer: PeerId; readonly listsGroup: boolean }
  | { readonly ok: false; readonly why: 'invalid signed entry' | 'entry of another peer' };

/** The directory a member consults: discovery's catalog, seen through the group. */
export interface MemberDirectory {
  /** A peer's entry for ticket checks, `undefined` when unknown. */
  entry(peer: PeerId): TicketHolder | undefined;
  /** Every known peer with a signed entry (the member filters by group and tickets). */
  listed(): Iterable<ListedPeer>;
  /** `peer`'s signed entry in wire form, to introduce it to the other bonded members. */
  wireOf(peer: PeerId): unknown | undefined;
  /**
   * Takes a signed entry that arrived on a bond with `from`; when `fromOwner`, it must be
   * `from`'s own entry. Invalid entries are refused before anything is stored.
   */
  feed(wire: unknown, from: PeerId, fromOwner: boolean): FedEntry;
  /** Our own entry's version (compared by identity: a new one means our entry changed). */
  localVersion(): unknown;
  /** Our own signed entry in wire form. */
  localWire(): unknown;
  /** Calls `onChange` on every catalog change; returns how to stop. */
  subscribe(onChange: () => void): () => void;
}

/** A {@link MemberDirectory} on a node's discovery, for the group `group`. */
export function discoveryDirectory(discovery: Discovery, group: GroupId): MemberDirectory {
  return {
    entry: (peer) => discovery.catalog().get(peer),
    listed: () => discovery.catalog().signedPeers(),
    wireOf: (peer) => discovery.catalog().getSigned(peer)?.toWire(),
    feed(wire, from, fromOwner) {
      let signed: SignedPeerEntry;
      try {
        signed = SignedPeerEntry.fromWire(wire);
      } catch {
        return { ok: false, why: 'invalid signed entry' };
      }
      if (fromOwner && !signed.peerId.equals(from)) return { ok: false, why: 'entry of another peer' };
      discovery.feed(signed);
      return { ok: true, peer: signed.peerId, listsGroup: signed.entry.hasGroup(group) };
    },
    localVersion: () => discovery.me().entry.version,
    localWire: () => discovery.me().toWire(),
    subscribe: (onChange) => discovery.catalogWatch.subscribe(onChange),
  };
}
