import { scaled, TimeoutError } from 'mosaik';

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
