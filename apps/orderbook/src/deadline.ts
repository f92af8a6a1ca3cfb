import { abortable, scaled, TimeoutError } from 'mosaik';

/**
 * `promise`, or a `TimeoutError` naming `what` was awaited after `ms` (scaled by `TIME_FACTOR`,
 * so a slow test machine can stretch every wait of the app at once).
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = scaled(ms);
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new TimeoutError(`timed out after ${limit} ms waiting for ${what}`)),
          limit,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `promise`, or `undefined` as soon as `signal` aborts: for loops that simply stop when their
 * owner closes (the promise is left to settle on its own). A rejection of `promise` itself
 * still rejects.
 */
export async function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  try {
    return await abortable(promise, signal);
  } catch (error) {
    // abortable rejects with the signal's own reason; anything else is the promise's failure.
    if (signal.aborted && error === signal.reason) return undefined;
    throw error;
  }
}
