// Shared by the benchmarks (dev only): this process's CPU time split by thread, read from Linux's
// /proc. A node spends CPU on its JS thread and in the binding's own threads (iroh's QUIC runs
// on tokio workers), and process.cpuUsage() cannot tell them apart.
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on every Linux that Node supports). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time of this process so far in ms, by thread: the JS thread, the transport's threads
 * (tokio workers) and the rest (V8 and libuv helpers). `undefined` where /proc is missing.
 * @returns {{ jsMs: number, transportMs: number, otherMs: number } | undefined}
 */
export function cpuByThread() {
  let tasks;
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return undefined;
  }
  const ticks = { jsMs: 0, transportMs: 0, otherMs: 0 };
  for (const task of tasks) {
    let stat;
    try {
      stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    // The name sits in parentheses and may hold spaces; utime and stime are the 12th and 13th
    // fields after it.
    const end = stat.lastIndexOf(')');
    const name = stat.slice(stat.indexOf('(') + 1, end);
    const fields = stat.slice(end + 2).split(' ');
    const used = Number(fields[11]) + Number(fields[12]);
    const kind = Number(task) === process.pid ? 'jsMs' : name.startsWith('tokio') ? 'transportMs' : 'otherMs';
    ticks[kind] += used;
  }
  const ms = 1000 / TICKS_PER_SECOND;
  return { jsMs: ticks.jsMs * ms, transportMs: ticks.transportMs * ms, otherMs: ticks.otherMs * ms };
}

/**
 * CPU by thread since `before` (a {@link cpuByThread} result), in ms.
 * @param {{ jsMs: number, transportMs: number, otherMs: number } | undefined} before
 * @returns {{ jsMs: number, transportMs: number, otherMs: number } | undefined}
 */
export function cpuByThreadSince(before) {
  const now = cpuByThread();
  if (now === undefined || before === undefined) return undefined;
  return {
    jsMs: now.jsMs - before.jsMs,
    transportMs: now.transportMs - before.transportMs,
    otherMs: now.otherMs - before.otherMs,
  };
}
