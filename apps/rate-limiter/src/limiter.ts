/** What every limiting mode offers the HTTP gateway. */

/** The limiting modes. `local` is a plain in-process limiter without coordination. */
export type Mode = 'strict' | 'gossip' | 'lease' | 'local';

/** The modes, for option parsing. */
export const MODES: readonly Mode[] = ['strict', 'gossip', 'lease', 'local'];

/** Longest user id; the gateway refuses longer ones before they reach any limiter. */
export const MAX_KEY_LENGTH = 64;

/** The answer for one request. */
export type Decision =
  /** Granted; `remaining` whole tokens are left and the bucket is full again in `resetMs`. */
  | { readonly kind: 'allow'; readonly remaining: number; readonly resetMs: number }
  /** Refused; a token arrives in `retryAfterMs`. */
  | { readonly kind: 'deny'; readonly retryAfterMs: number; readonly resetMs: number }
  /** No decision could be taken (the group has no leader, the commit timed out, ...). */
  | { readonly kind: 'unavailable'; readonly reason: string };

/** A rate limiter: one decision per request, keyed by user. */
export interface Limiter {
  readonly mode: Mode;
  /** Decides one request of `key`; never rejects (failures are `unavailable`). */
  decide(key: string): Promise<Decision>;
  /** Whether the limiter can currently decide (a leader is known, ...). */
  isAvailable(): boolean;
  /** Releases timers and gives back what the limiter holds (lease mode). */
  close(): Promise<void>;
}

/** Hooks a limiter reports to (the gateway turns them into metrics). */
export interface LimiterHooks {
  /** A command committed after `seconds`. */
  readonly onCommit?: (seconds: number) => void;
}

/** `promise`, or `undefined` after `ms`; the timer never outlives the race. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** A short text for an error, for `unavailable` reasons and logs. */
export function reasonOf(error: unknown): string {
  if (error instanceof Error)
    return 'code' in error ? `${String(error.code)}: ${error.message}` : error.message;
  return String(error);
}
