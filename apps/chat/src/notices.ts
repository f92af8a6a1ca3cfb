/**
 * Holds `left` notices back for a moment: a peer that leaves and comes back within the window
 * (its entry replaced while two parts of a room merge, or removed by a peer that thought it was
 * gone and re-inserted by itself) shows nothing instead of `left` then `joined`.
 */
import type { Notice } from './render.js';

/** A delay line for `left` notices. Pure: the caller passes the time and asks for what is due. */
export class LeaveDebouncer {
  readonly #windowMs: number;
  readonly #held = new Map<string, { notice: Notice; due: number }>();

  constructor(windowMs: number) {
    this.#windowMs = windowMs;
  }

  /** Notices to show now for `incoming`; `left` ones are held, and a return cancels its `left`. */
  push(incoming: readonly Notice[], now: number): Notice[] {
    const out: Notice[] = [];
    for (const n of incoming) {
      if (n.kind === 'left') {
        this.#held.set(n.peer, { notice: n, due: now + this.#windowMs });
        continue;
      }
      const held = this.#held.get(n.peer);
      if (held !== undefined && n.kind === 'joined') {
        this.#held.delete(n.peer);
        const before = held.notice.presence;
        // Back under another name: say so; back unchanged: say nothing.
        if (before.nickname !== n.presence.nickname || before.color !== n.presence.color)
          out.push({ kind: 'renamed', peer: n.peer, presence: n.presence, before });
        continue;
      }
      out.push(n);
    }
    return out;
  }

  /** `left` notices whose window has passed, in the order they were held. */
  due(now: number): Notice[] {
    const out: Notice[] = [];
    for (const [peer, h] of this.#held) {
      if (h.due > now) continue;
      this.#held.delete(peer);
      out.push(h.notice);
    }
    return out;
  }

  /** When the next held notice is due, if any. */
  get nextDue(): number | undefined {
    let next: number | undefined;
    for (const h of this.#held.values()) if (next === undefined || h.due < next) next = h.due;
    return next;
  }

  /** Everything still held (at exit). */
  flush(): Notice[] {
    const out = [...this.#held.values()].map((h) => h.notice);
    this.#held.clear();
    return out;
  }
}
