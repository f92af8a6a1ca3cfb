/** Deadlines, sleeps and AbortSignal helpers. Test waits scale with `TIME_FACTOR`. */
import { TimeoutError } from './errors.js';

/**
 * The test time multiplier: `TIME_FACTOR` from the environment (read on each call), default 1.
 * Invalid or non-positive values count as 1.
 */
export function timeFactor(): number {
  const raw = typeof process === 'undefined' ? undefined : process.env.TIME_FACTOR;
  if (raw === undefined || raw.trim() === '') return 1;
  const n = Number(raw);
  return Number.isFinite(n) && n > 0 ? n : 1;
}

/** `ms × timeFactor()`: every deadline a test waits on goes through this. */
export function scaled(ms: number): number {
  return ms * timeFactor();
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
 * Resolves after `ms` (for production backoff and periodic work; tests wait on conditions with
 * {@link waitFor} instead). Rejects with `signal.reason` when `signal` aborts, and then leaves no
 * timer behind.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** A signal that aborts (with a `TimeoutError` DOMException) after `ms`; its timer never keeps the process alive. */
export function abortAfter(ms: number): AbortSignal {
  return AbortSignal.timeout(ms);
}

/**
 * A signal that aborts as soon as any of `signals` does, with that signal's reason. `undefined`
 * entries are skipped; with no signal at all the result never aborts. It stays recorded on a
 * source until that source aborts: for repeated operations under a long-lived signal use
 * {@link linkSignals}.
 */
export function anySignal(signals: Iterable<AbortSignal | undefined>): AbortSignal {
  const list = [...signals].filter((s): s is AbortSignal => s !== undefined);
  if (list.length === 1) return list[0]!;
  return AbortSignal.any(list);
}

/** A signal that follows others until it is disposed (see {@link linkSignals}). */
export interface LinkedSignal {
  /** Aborts as soon as one of the followed signals does, with that signal's reason. */
  readonly signal: AbortSignal;
  /** Stops following: takes the link off every followed signal. Idempotent. */
  dispose(): void;
}

const noDispose = () => {};

/** The links following one source signal, and the one listener that serves them all. */
interface Followers {
  readonly links: Set<(reason: unknown) => void>;
  readonly onAbort: () => void;
}

/**
 * The links following each source signal. A source carries one abort listener however many
 * operations follow it, and none once they have all ended: a long-lived signal followed by
 * dozens of concurrent operations (every pending accept of a node, every sync) would otherwise
 * pass Node's listener limit and print `MaxListenersExceededWarning`, a false alarm here.
 */
const followers = new WeakMap<AbortSignal, Followers>();

function follow(source: AbortSignal, link: (reason: unknown) => void): void {
  let entry = followers.get(source);
  if (entry === undefined) {
    const links = new Set<(reason: unknown) => void>();
    const onAbort = () => {
      followers.delete(source);
      for (const f of links) f(source.reason);
    };
    entry = { links, onAbort };
    followers.set(source, entry);
    source.addEventListener('abort', onAbort, { once: true });
  }
  entry.links.add(link);
}

function unfollow(source: AbortSignal, link: (reason: unknown) => void): void {
  const entry = followers.get(source);
  if (entry === undefined || !entry.links.delete(link) || entry.links.size > 0) return;
  followers.delete(source);
  source.removeEventListener('abort', entry.onAbort);
}

/**
 * How many links made by {@link linkSignals} follow `signal` now (neither disposed nor aborted).
 * A leak check: once the operations under a long-lived signal have ended, it is back where it was.
 */
export function linkedTo(signal: AbortSignal): number {
  return followers.get(signal)?.links.size ?? 0;
}

/**
 * Like {@link anySignal}, for a bounded operation: call `dispose()` when the operation ends.
 * `undefined` entries are skipped. Use it whenever one of the signals lives long (a node's or
 * a service's own signal) and the call repeats.
 *
 * Why: `AbortSignal.any` records the signal it creates on each of its sources, and Node 20
 * removes that record only when the source aborts (nodejs/node#55351). Combined with a signal
 * that lives as long as the process, every call leaves an entry behind: one per dial or
 * accepted connection grew a node's signal by thousands of entries in a 10-minute soak. Here a
 * source carries a single listener for all the links that follow it, removed with the last of
 * them; `dispose()` (or the first abort) takes a link off every source it follows.
 *
 * ```ts
 * const stop = linkSignals([node.signal, AbortSignal.timeout(5_000)]);
 * try {
 *   await work(stop.signal);
 * } finally {
 *   stop.dispose();
 * }
 * ```
 */
export function linkSignals(signals: Iterable<AbortSignal | undefined>): LinkedSignal {
  const list = [...new Set(signals)].filter((s): s is AbortSignal => s !== undefined);
  const already = list.find((s) => s.aborted);
  if (already !== undefined) return { signal: AbortSignal.abort(already.reason), dispose: noDispose };
  const controller = new AbortController();
  let disposed = false;
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    for (const s of list) unfollow(s, onAbort);
  };
  const onAbort = (reason: unknown) => {
    dispose();
    controller.abort(reason);
  };
  for (const s of list) follow(s, onAbort);
  return { signal: controller.signal, dispose };
}

/**
 * `promise`, or a rejection with `signal.reason` as soon as `signal` aborts, whichever comes first.
 * Only the wait is cancelled, not the work behind `promise` (its later rejection is swallowed);
 * the abort listener is removed when either side settles.
 *
 * ```ts
 * const applied = await abortable(group.execute(cmd), AbortSignal.timeout(2_000));
 * ```
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => {});
      reject(abortReason(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Deadline in ms before scaling by `TIME_FACTOR` (default 5000). */
  readonly timeout?: number;
  /** Poll interval in ms when the probe is a function (default 10; not scaled). */
  readonly interval?: number;
  /** The timeout error's message (default `'condition not met'`). */
  readonly message?: string | (() => string);
  /** Cancels the wait (rejects with `signal.reason`). */
  readonly signal?: AbortSignal;
}

/**
 * Waits for a condition with a deadline of `scaled(timeout)`, then throws a {@link TimeoutError}
 * (code `'timeout'`) carrying `message` and, as `cause`, the probe's last error.
 *
 * - `probe` a promise: waits for it (its rejection propagates).
 * - `probe` a function: calls it every `interval` ms until it returns (or resolves to) a truthy
 *   value, which is returned. A throwing probe counts as "not yet".
 *
 * ```ts
 * await waitFor(() => node.catalog.size === 3, { timeout: 10_000, message: 'catalog did not converge' });
 * ```
 */
export async function waitFor<T>(
  probe: (() => T | PromiseLike<T>) | PromiseLike<T>,
  options: WaitForOptions = {},
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const timeout = scaled(options.timeout ?? 5000);
  const interval = options.interval ?? 10;
  const message = () =>
    typeof options.message === 'function' ? options.message() : (options.message ?? 'condition not met');
  const { signal } = options;
  signal?.throwIfAborted();

  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  let lastError: unknown;
  let done = false;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      done = true;
      const msg = `${message()} (after ${timeout} ms)`;
      reject(new TimeoutError(msg, lastError === undefined ? undefined : { cause: lastError }));
    }, timeout);
    if (signal) {
      onAbort = () => {
        done = true;
        reject(abortReason(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });

  const poll = async (): Promise<T> => {
    if (typeof probe !== 'function') return await probe;
    for (;;) {
      try {
        const v = await probe();
        if (v) return v;
      } catch (error) {
        lastError = error;
      }
      if (done) return new Promise<never>(() => {}); // the race has been lost already
      await new Promise((r) => setTimeout(r, interval));
      if (done) return new Promise<never>(() => {});
    }
  };

  try {
    return (await Promise.race([poll(), deadline])) as Exclude<T, false | null | undefined | 0 | ''>;
  } finally {
    done = true;
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
  }
}
