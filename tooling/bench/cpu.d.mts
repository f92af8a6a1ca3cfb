/** CPU time of this process in ms, by thread kind. */
export interface ThreadCpu {
  /** The JS thread (the process's main thread). */
  readonly jsMs: number;
  /** The transport's threads (iroh's tokio workers). */
  readonly transportMs: number;
  /** Everything else (V8 and libuv helpers). */
  readonly otherMs: number;
}

/** This process's CPU so far by thread, from Linux's /proc; `undefined` where /proc is missing. */
export function cpuByThread(): ThreadCpu | undefined;

/** CPU by thread since `before` (a {@link cpuByThread} result); `undefined` without /proc. */
export function cpuByThreadSince(before: ThreadCpu | undefined): ThreadCpu | undefined;

/** CPU time (user + system, all threads) of process `pid` so far, in ms; `undefined` without /proc or once it is gone. */
export function processCpuMs(pid: number): number | undefined;
