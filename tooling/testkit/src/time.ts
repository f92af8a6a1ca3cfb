/** Waiting in tests: every deadline is scaled by `TIME_FACTOR` and says what it waited for. */
import { scaled, waitFor } from '@mosaik/id';

/** The default deadline of a wait, ms before scaling: long enough for an election on a busy machine. */
export const DEADLINE = 10_000;

/**
 * Resolves with the first truthy value of `probe` (polled every `interval` ms); on timeout, rejects
 * with `message` (a function is evaluated then, to show the state that was not reached).
 */
export function until<T>(
  probe: (() => T | PromiseLike<T>) | PromiseLike<T>,
  message: string | (() => string),
  timeout = DEADLINE,
  interval = 20,
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  return waitFor(probe, { timeout, interval, message });
}

/** A deadline signal for one wait (scaled by TIME_FACTOR). */
export function within(ms = DEADLINE): { signal: AbortSignal } {
  return { signal: AbortSignal.timeout(scaled(ms)) };
}

/** Fails if `probe` becomes true within a short scaled observation window (a negative assertion). */
export async function staysFalse(probe: () => boolean, message: string, windowMs = 400): Promise<void> {
  const end = performance.now() + scaled(windowMs);
  while (performance.now() < end) {
    if (probe()) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
