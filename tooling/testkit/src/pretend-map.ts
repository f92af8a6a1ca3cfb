/**
 * A pretend latency map for tests of RTT-driven behaviour: loopback RTTs are all about zero, so a
 * test places its nodes on a plane (coordinates in ms) and feeds each node the RTTs of this map.
 */
import { type PeerId, SecretKey } from '@mosaik/id';

export class PretendMap<P extends string> {
  /** Every place, in the order the map was given. */
  readonly places: readonly P[];
  /** A fresh secret key per place, fixed up front so that nodes know each other by id. */
  readonly keys: Readonly<Record<P, SecretKey>>;
  readonly #at: Readonly<Record<P, readonly [number, number]>>;
  readonly #byId: ReadonlyMap<string, P>;

  constructor(at: Readonly<Record<P, readonly [number, number]>>) {
    this.#at = at;
    this.places = Object.keys(at) as P[];
    this.keys = Object.fromEntries(this.places.map((p) => [p, SecretKey.generate()])) as Record<P, SecretKey>;
    this.#byId = new Map(this.places.map((p) => [this.keys[p].peerId.toString(), p]));
  }

  /** The RTT between two places: their distance plus 1 ms of access delay at each end. */
  rtt(a: P, b: P): number {
    const [ax, ay] = this.#at[a];
    const [bx, by] = this.#at[b];
    return Math.hypot(ax - bx, ay - by) + 2;
  }

  /** The place of the node with this peer id, if it is one of the map's. */
  placeOf(peer: PeerId): P | undefined {
    return this.#byId.get(peer.toString());
  }
}
