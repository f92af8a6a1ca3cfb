/**
 * The local mirror of the presence Map and the notices its changes produce (`joined`, `left`,
 * `renamed`). Our own entry never produces a notice.
 */
import type { Presence } from './model.js';
import type { Notice } from './render.js';

const same = (a: Presence, b: Presence) => a.nickname === b.nickname && a.color === b.color;

/** Presence entries by peer id (hex). */
export class Roster {
  readonly #self: string;
  #entries = new Map<string, Presence>();

  constructor(self: string) {
    this.#self = self;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(peer: string): Presence | undefined {
    return this.#entries.get(peer);
  }

  has(peer: string): boolean {
    return this.#entries.has(peer);
  }

  entries(): IterableIterator<[string, Presence]> {
    return this.#entries.entries();
  }

  /** Replaces every entry (a snapshot); returns the notices of the difference. */
  replace(entries: Iterable<readonly [string, Presence]>): Notice[] {
    const next = new Map<string, Presence>(entries);
    const notices: Notice[] = [];
    for (const [peer, before] of this.#entries)
      if (!next.has(peer) && peer !== this.#self) notices.push({ kind: 'left', peer, presence: before });
    for (const [peer, presence] of next)
      notices.push(...this.#changed(peer, this.#entries.get(peer), presence));
    this.#entries = next;
    return notices;
  }

  /** An entry set (inserted or overwritten). */
  set(peer: string, presence: Presence): Notice[] {
    const before = this.#entries.get(peer);
    this.#entries.set(peer, presence);
    return this.#changed(peer, before, presence);
  }

  /** An entry removed. */
  delete(peer: string): Notice[] {
    const before = this.#entries.get(peer);
    if (before === undefined) return [];
    this.#entries.delete(peer);
    return peer === this.#self ? [] : [{ kind: 'left', peer, presence: before }];
  }

  clear(): Notice[] {
    return this.replace([]);
  }

  #changed(peer: string, before: Presence | undefined, presence: Presence): Notice[] {
    if (peer === this.#self) return [];
    if (before === undefined) return [{ kind: 'joined', peer, presence }];
    if (same(before, presence)) return [];
    return [{ kind: 'renamed', peer, presence, before }];
  }
}
