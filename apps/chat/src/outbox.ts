/**
 * Our own lines: composed with a fresh id, sent in order, and remembered once committed, so that
 * after a merge discarded our side's history the lines it lost are sent again (never lost, never
 * shown twice: the id is kept).
 */
import { type ChatMessage, MAX_TEXT, type Presence, shortPeer } from './model.js';

/** Own messages of this session, in the order they were typed. */
export class Outbox {
  readonly #peer: string;
  readonly #prefix: string;
  readonly #now: () => number;
  #seq = 0;
  readonly #sent: ChatMessage[] = [];
  readonly #committed = new Set<string>();

  /**
   * @param peer - our peer id (hex)
   * @param session - distinguishes this run's ids from an earlier run with the same key
   * @param now - the wall clock stamped on messages
   */
  constructor(peer: string, session: string, now: () => number = Date.now) {
    this.#peer = peer;
    this.#prefix = `${shortPeer(peer)}.${session}`;
    this.#now = now;
  }

  /** A new message with the next id; `undefined` for a blank line. Text is cut to {@link MAX_TEXT}. */
  compose(text: string, as: Presence): ChatMessage | undefined {
    const trimmed = text.replace(/\s+$/, '');
    if (trimmed.trim() === '') return undefined;
    const message: ChatMessage = {
      id: `${this.#prefix}.${(this.#seq++).toString(36)}`,
      peer: this.#peer,
      nickname: as.nickname,
      color: as.color,
      text: trimmed.slice(0, MAX_TEXT),
      at: this.#now(),
    };
    this.#sent.push(message);
    return message;
  }

  /** The message was committed (its write resolved). */
  committed(id: string): void {
    this.#committed.add(id);
  }

  /** Messages composed but not committed yet. */
  get pending(): number {
    return this.#sent.length - this.#committed.size;
  }

  /** Ids of the committed messages, in typing order. */
  committedIds(): string[] {
    return this.#sent.filter((m) => this.#committed.has(m.id)).map((m) => m.id);
  }

  /** Committed messages that `present` says are no longer in the history, in typing order. */
  lost(present: (id: string) => boolean): ChatMessage[] {
    return this.#sent.filter((m) => this.#committed.has(m.id) && !present(m.id));
  }
}
