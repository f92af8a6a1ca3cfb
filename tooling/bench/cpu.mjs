// Shared by the benchmarks (dev only): CPU time from Linux's /proc, of another process or of this
// one split by thread. A node spends CPU on its JS thread and in the binding's own threads
// (iroh's QUIC runs on tokio workers), and process.cpuUsage() cannot tell them apart.
import { readdirSync, readFileSync } from 'node:fs';

/** Milliseconds per clock tick of /proc's CPU times (USER_HZ, 100 on every Linux Node supports). */
const MS_PER_TICK = 1000 / 100;

/**
 * The name and the CPU time (user + system, ms) in the text of a /proc `stat` file. The name sits
 * in parentheses and may hold spaces; utime and stime are the 12th and 13th fields after it.
 * @param {string} stat
 */
function parseStat(stat) {
  const end = stat.lastIndexOf(')');
  const fields = stat.slice(end + 2).split(' ');
  return {
    name: stat.slice(stat.indexOf('(') + 1, end),
    cpuMs: (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK,
  };
}

/**
 * CPU time (user + system, all threads) of process `pid` so far, in ms; `undefined` where /proc
 * is missing or the process is gone.
 * @param {number} pid
 * @returns {number | undefined}
 */
export function processCpuMs(pid) {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).cpuMs;
  } catch {
    return undefined;
  }
}

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
  const byKind = { jsMs: 0, transportMs: 0, otherMs: 0 };
  for (const task of tasks) {
    let stat;
    try {
      stat = readFileSync(`/proc/self/task/${task}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const { name, cpuMs } = parseStat(stat);
    const kind = Number(task) === process.pid ? 'jsMs' : name.startsWith('tokio') ? 'transportMs' : 'otherMs';
    byKind[kind] += cpuMs;
  }
  return byKind;
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
