/**
 * The local mirror of the replicated history and what of it was already shown. Every message
 * carries a client-generated id, and the view shows each id once: a retry after `OfflineError` that
 * committed a line twice, the same line re-sent after a merge, or a snapshot replaying what was
 * already on screen never prints a line again.
 */
import type { ChatMessage } from './model.js';

/** The history Vec as seen here, plus the ids already printed. */
export class History {
  #items: ChatMessage[] = [];
  #ids = new Map<string, number>();
  readonly #shown = new Set<string>();

  /** The current contents, in Vec order (duplicates included). */
  get items(): readonly ChatMessage[] {
    return this.#items;
  }

  /** Distinct message ids in the current contents. */
  get distinct(): number {
    return this.#ids.size;
  }

  /** Whether the current contents hold a message with this id. */
  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** Whether a message with this id was already returned to be shown. */
  shown(id: string): boolean {
    return this.#shown.has(id);
  }

  /** Replaces the contents (a snapshot); returns the messages never shown, in Vec order. */
  replace(items: readonly ChatMessage[]): ChatMessage[] {
    this.#items = [...items];
    this.#reindex();
    return this.#fresh(this.#items);
  }

  /** A message inserted at `index`; returns it if never shown. */
  insert(index: number, message: ChatMessage): ChatMessage[] {
    this.#items.splice(Math.min(Math.max(index, 0), this.#items.length), 0, message);
    this.#ids.set(message.id, (this.#ids.get(message.id) ?? 0) + 1);
    return this.#fresh([message]);
  }

  /** The message at `index` replaced; returns the new one if never shown. */
  set(index: number, message: ChatMessage): ChatMessage[] {
    if (index < 0 || index >= this.#items.length) return [];
    this.#forget(this.#items[index]!);
    this.#items[index] = message;
    this.#ids.set(message.id, (this.#ids.get(message.id) ?? 0) + 1);
    return this.#fresh([message]);
  }

  /** The message at `index` removed (a history is append-only in this app, but the Vec allows it). */
  remove(index: number): void {
    if (index < 0 || index >= this.#items.length) return;
    this.#forget(this.#items[index]!);
    this.#items.splice(index, 1);
  }

  /** Keeps the first `length` messages. */
  truncate(length: number): void {
    for (const m of this.#items.slice(length)) this.#forget(m);
    this.#items.length = Math.min(this.#items.length, Math.max(0, length));
  }

  clear(): void {
    this.#items = [];
    this.#ids.clear();
  }

  #reindex(): void {
    this.#ids.clear();
    for (const m of this.#items) this.#ids.set(m.id, (this.#ids.get(m.id) ?? 0) + 1);
  }

  #forget(m: ChatMessage): void {
    const n = (this.#ids.get(m.id) ?? 0) - 1;
    if (n > 0) this.#ids.set(m.id, n);
    else this.#ids.delete(m.id);
  }

  #fresh(candidates: readonly ChatMessage[]): ChatMessage[] {
    const out: ChatMessage[] = [];
    for (const m of candidates) {
      if (this.#shown.has(m.id)) continue;
      this.#shown.add(m.id);
      out.push(m);
    }
    return out;
  }
}
