/**
 * Status conditions that read as plain `await`s. A `when` API hands out small condition objects
 * (`producer.when.subscribed({ atLeast: 2 })`) so they can be refined before use; extending
 * {@link Condition} makes the object itself awaitable, so the natural line waits as written:
 *
 * ```ts
 * await producer.when.subscribed({ atLeast: 1 });               // waits until it holds
 * await producer.when.subscribed().wait(AbortSignal.timeout(5_000)); // the explicit form, with a signal
 * ```
 */

/**
 * Base of every awaitable status condition. A subclass implements {@link wait}; `await condition`
 * is `await condition.wait()` (no signal). Because the object is a thenable, returning it from an
 * `async` function or resolving a promise with it waits for it: builders that refine a condition
 * must stay synchronous.
 */
export abstract class Condition<T = void> implements PromiseLike<T> {
  /**
   * Resolves once the condition holds. Rejects with `signal.reason` when `signal` aborts, and then
   * leaves no listener behind.
   */
  abstract wait(signal?: AbortSignal): Promise<T>;

  /** Makes the condition awaitable: the same as `wait().then(...)`. */
  // biome-ignore lint/suspicious/noThenProperty: being awaitable as written is the point of this class.
  then<A = T, B = never>(
    onfulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.wait().then(onfulfilled, onrejected);
  }
}
