/**
 * The change feed of one replica: every applied change goes to each watcher's bounded queue. A
 * watcher that falls behind is marked lagged (its queue dropped) and starts over from a fresh
 * snapshot; a snapshot installed underneath (a late or lagging replica catching up) makes every
 * watcher start over from a fresh snapshot too. Nobody ever sees a silent gap.
 */

/** A change as applied, with the log index of its command. */
export interface Applied<Ch> {
  readonly change: Ch;
  readonly index: number;
}

/** One watcher's state. */
export class Watcher<Ch> {
  readonly #capacity: number;
  readonly #onLag: () => void;
  #queue: Applied<Ch>[] = [];
  #head = 0;
  /** `ok`: changes queue up; `lagged`: the queue overflowed; `resync`: a snapshot was installed. */
  state: 'ok' | 'lagged' | 'resync' = 'ok';
  /** Changes dropped since the watcher lagged. */
  missed = 0;
  #wake: (() => void) | undefined;

  constructor(capacity: number, onLag: () => void) {
    this.#capacity = capacity;
    this.#onLag = onLag;
  }

  push(change: Ch, index: number): void {
    if (this.state !== 'ok') {
      if (this.state === 'lagged') this.missed++;
      return;
    }
    if (this.#queue.length - this.#head >= this.#capacity) {
      this.state = 'lagged';
      this.missed = this.#queue.length - this.#head + 1;
      this.#queue = [];
      this.#head = 0;
      this.#onLag();
    } else {
      this.#queue.push({ change, index });
    }
    this.#notify();
  }

  /** A snapshot replaced the state: what is queued no longer applies. */
  resync(): void {
    if (this.state === 'ok') this.state = 'resync';
    this.#queue = [];
    this.#head = 0;
    this.#notify();
  }

  /** The caller takes a fresh snapshot now: queue from here on. */
  restart(): void {
    this.state = 'ok';
    this.missed = 0;
    this.#queue = [];
    this.#head = 0;
  }

  /** The next queued change, if any. */
  shift(): Applied<Ch> | undefined {
    if (this.#head >= this.#queue.length) return undefined;
    const next = this.#queue[this.#head++]!;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
    return next;
  }

  /** Resolves at the next push, resync or `interrupt`. */
  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  /** Wakes a pending `wait` (close, abort). */
  interrupt(): void {
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** All watchers of one replica. */
export class ChangeFeed<Ch> {
  readonly #watchers = new Set<Watcher<Ch>>();
  readonly #onLag: () => void;
  /** Called when the first watcher arrives or the last leaves (the machine reports changes only while watched). */
  readonly #active: (on: boolean) => void;

  constructor(active: (on: boolean) => void, onLag: () => void) {
    this.#active = active;
    this.#onLag = onLag;
  }

  get size(): number {
    return this.#watchers.size;
  }

  add(capacity: number): Watcher<Ch> {
    const w = new Watcher<Ch>(capacity, this.#onLag);
    this.#watchers.add(w);
    if (this.#watchers.size === 1) this.#active(true);
    return w;
  }

  remove(w: Watcher<Ch>): void {
    if (this.#watchers.delete(w) && this.#watchers.size === 0) this.#active(false);
    w.interrupt();
  }

  push = (change: Ch, index: number): void => {
    for (const w of this.#watchers) w.push(change, index);
  };

  resync(): void {
    for (const w of this.#watchers) w.resync();
  }

  /** Ends every watcher (the replica closed). */
  interruptAll(): void {
    for (const w of this.#watchers) w.interrupt();
  }
}
