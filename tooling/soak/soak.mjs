#!/usr/bin/env node
// Soak run (`pnpm soak`, dev only, not part of the test run): 10 nodes in 3 child processes on
// 127.0.0.1 with a tick stream between all of them, a 3-member group under an execute loop, a
// replicated map under writes, and churn: every 30 s one of the two churned processes is killed
// with SIGKILL and restarted with the same keys, ports and data. The first process is never
// killed: it is the witness for memory and handle growth. Runs for SOAK_SECONDS (default 600)
// and prints JSON lines: one per process incarnation, then a summary. Exits non-zero when a
// command was acknowledged but is missing from a member's final state, or a process failed.
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const CHURN_EVERY_MS = Number(process.env.SOAK_CHURN_MS ?? 30_000);
/** How long a process may take to close its nodes and exit on its own at the end. */
const EXIT_GRACE_MS = 60_000;
/** How long after a restarted process is ready its links may still be settling. */
const SETTLE_MS = 10_000;
/** Resource samples before this are warm-up (JIT, pools, first elections). */
const WARM_UP_MS = Math.max(20_000, Math.min(120_000, (SECONDS * 1000) / 5));
/** Diagnostics (see the README): periodic samples after a full GC, heap snapshots of the witness. */
const DIAGNOSTICS = Boolean(process.env.SOAK_SAMPLE_SECONDS || process.env.SOAK_HEAP_SNAPSHOTS);
if (!Number.isFinite(SECONDS) || SECONDS < 10) {
  console.error('SOAK_SECONDS must be a number of seconds, at least 10');
  process.exit(2);
}

const here = dirname(fileURLToPath(import.meta.url));
const worker = join(here, 'worker.ts');
const runId = Math.random().toString(36).slice(2, 10);
const dataDir = mkdtempSync(join(tmpdir(), 'mosaik-soak-'));

/** Free UDP ports on 127.0.0.1 (asked from the kernel, then released for the nodes to bind). */
async function freePorts(n) {
  const sockets = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise((resolve, reject) => {
          const s = createSocket('udp4');
          s.once('error', reject);
          s.bind(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = sockets.map((s) => s.address().port);
  await Promise.all(sockets.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

const ports = await freePorts(10);
/** 4 + 3 + 3 nodes; node 0 of each process is a group member, node 1 a map writer. */
const plans = [
  [0, 1, 2, 3],
  [4, 5, 6],
  [7, 8, 9],
].map((indices) =>
  indices.map((i, k) => ({ label: `n${i}`, port: ports[i], member: k === 0, writer: k === 1 })),
);
const processes = plans.map((_, proc) => ({
  proc,
  incarnation: 0,
  child: undefined,
  ackFile: join(dataDir, `acks-${proc}.log`),
}));
for (const p of processes) writeFileSync(p.ackFile, '');

/** Per incarnation: first, warm-up and last resource samples and counters. */
const incarnations = [];
const gaps = [];
const errors = [];
/** Not failures: a process that had to be killed after closing its nodes, for instance. */
const warnings = [];
const churn = [];
/** The witness's samples after a full GC, from the end of warm-up on (diagnostics only). */
const witnessSamples = [];
let seed;

function line(object) {
  process.stdout.write(`${JSON.stringify(object)}\n`);
}

/** Starts (or restarts) one process; resolves once all its nodes are up. */
function start(p) {
  const record = {
    proc: p.proc,
    incarnation: p.incarnation,
    startedAt: Date.now(),
    first: undefined,
    warm: undefined,
    last: undefined,
    counters: undefined,
    map: undefined,
    final: undefined,
    killed: false,
    stopping: false,
  };
  incarnations.push(record);
  const child = fork(
    worker,
    [
      JSON.stringify({
        proc: p.proc,
        incarnation: p.incarnation,
        runId,
        nodes: plans[p.proc],
        ...(seed === undefined ? {} : { seed }),
        dataDir,
        ackFile: p.ackFile,
        tickIntervalMs: 200,
        executeIntervalMs: 50,
        mapIntervalMs: 100,
      }),
    ],
    {
      execArgv: ['--conditions=@mosaik/source', '--import', 'tsx', ...(DIAGNOSTICS ? ['--expose-gc'] : [])],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      env: { ...process.env, MOSAIK_LOG: process.env.MOSAIK_LOG ?? 'error', RUST_LIB_BACKTRACE: '0' },
    },
  );
  p.child = child;
  p.record = record;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process ${p.proc} did not start within 90 s`)), 90_000);
    child.on('message', (m) => {
      switch (m.t) {
        case 'ready':
          clearTimeout(timer);
          record.first = m.sample;
          seed ??= m.seed;
          resolve();
          break;
        case 'stats':
          if (quiescing) break; // samples under load only
          if (
            record.warm === undefined &&
            Date.now() - started >= WARM_UP_MS &&
            m.sample.at - record.startedAt >= WARM_UP_MS / 2
          )
            record.warm = m.sample;
          record.last = m.sample;
          record.counters = m.counters;
          record.map = m.map;
          break;
        case 'gap':
          gaps.push(m);
          break;
        case 'sample':
          if (p.proc === 0 && !quiescing && m.sample.at - started >= WARM_UP_MS)
            witnessSamples.push(m.sample);
          line({
            t: 'sample',
            proc: p.proc,
            incarnation: p.incarnation,
            seconds: Math.round((m.sample.at - started) / 1000),
            ...memory(m.sample),
          });
          break;
        case 'heapSnapshot':
          line({ t: 'heapSnapshot', proc: p.proc, seconds: m.seconds, path: m.path, ...memory(m.sample) });
          break;
        case 'final':
          // Not an end sample: the load has stopped by now, which would flatter the comparison.
          record.final = m;
          record.counters = m.counters;
          record.map = m.map;
          break;
        case 'error':
          errors.push({ proc: p.proc, incarnation: p.incarnation, ...m });
          break;
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (record.stopping && code !== 0)
        warnings.push({
          proc: p.proc,
          incarnation: p.incarnation,
          slowExit: `killed ${EXIT_GRACE_MS / 1000} s after exit`,
        });
      else if (!record.killed && code !== 0)
        errors.push({ proc: p.proc, incarnation: p.incarnation, exit: code, signal });
      reject(new Error(`process ${p.proc} exited (${code ?? signal})`));
    });
  });
}

function waitForMessage(p, t, ms) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    const onMessage = (m) => {
      if (m.t !== t) return;
      clearTimeout(timer);
      p.child.off('message', onMessage);
      resolve(m);
    };
    p.child.on('message', onMessage);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let started = Date.now();
let quiescing = false;

try {
  await start(processes[0]);
  await Promise.all([start(processes[1]), start(processes[2])]);
  started = Date.now();
  const end = started + SECONDS * 1000;
  let victim = 1;
  for (let next = started + CHURN_EVERY_MS; next < end - 5_000; next += CHURN_EVERY_MS) {
    await sleep(next - Date.now());
    const p = processes[victim];
    victim = victim === 1 ? 2 : 1;
    const window = { proc: p.proc, killedAt: Date.now(), readyAt: undefined };
    churn.push(window);
    p.record.killed = true;
    const exited = new Promise((r) => p.child.once('exit', r));
    p.child.kill('SIGKILL');
    await exited;
    p.incarnation++;
    await start(p);
    window.readyAt = Date.now();
  }
  await sleep(Math.max(0, end - Date.now()));

  // Stop the load everywhere first; then every member executes a barrier (ordered after every
  // acknowledged command) and reports what it applied.
  quiescing = true;
  await Promise.all(
    processes.map((p) => {
      const got = waitForMessage(p, 'quiet', 60_000);
      p.child.send({ t: 'quiesce' });
      return got;
    }),
  );
  const finals = await Promise.all(
    processes.map((p) => {
      const got = waitForMessage(p, 'final', 120_000);
      p.child.send({ t: 'barrier' });
      return got;
    }),
  );
  await Promise.all(
    processes.map(async (p) => {
      const exited = new Promise((r) => p.child.once('exit', r));
      p.record.stopping = true;
      p.child.send({ t: 'exit' });
      const timer = setTimeout(() => p.child.kill('SIGKILL'), EXIT_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }),
  ).catch(() => {});

  // Every acknowledged command (from every incarnation) must be in every member's final state.
  const ackLines = processes.flatMap((p) => readFileSync(p.ackFile, 'utf8').split('\n').filter(Boolean));
  const acked = ackLines.map((l) => l.split(' ')[0]);
  const ackDetail = new Map(ackLines.map((l) => [l.split(' ')[0], l]));
  let lostWorst = 0;
  const lostByMember = [];
  const missingExamples = [];
  for (const final of finals) {
    if (final?.state === undefined) {
      errors.push({ where: 'final state', error: final?.barrierError ?? 'no final state' });
      continue;
    }
    const ranges = new Map(final.state);
    let lost = 0;
    for (const id of acked) {
      const at = id.lastIndexOf(':');
      const seq = Number(id.slice(at + 1));
      const list = ranges.get(id.slice(0, at)) ?? [];
      if (!list.some(([lo, hi]) => seq >= lo && seq <= hi)) {
        lost++;
        if (missingExamples.length < 5)
          missingExamples.push({ ack: ackDetail.get(id), member: final.memberInfo });
      }
    }
    lostWorst = Math.max(lostWorst, lost);
    lostByMember.push(lost);
  }

  const inChurn = (g) =>
    churn.some((w) => g.at >= w.killedAt && g.at <= (w.readyAt ?? Date.now()) + SETTLE_MS);
  const lostOutside = gaps.filter((g) => !inChurn(g));
  const summary = (s) => s && { rssMiB: mib(s.rss), heapMiB: mib(s.heapUsed), handles: s.handles };
  for (const r of incarnations) {
    line({
      t: 'process',
      proc: r.proc,
      incarnation: r.incarnation,
      killed: r.killed,
      seconds: Math.round(((r.last?.at ?? r.startedAt) - r.startedAt) / 1000),
      start: summary(r.first),
      warm: summary(r.warm),
      end: summary(r.last),
      quiesced: summary(r.final?.sample),
      rssGrowthPct: r.warm && r.last ? pct(r.last.rss, r.warm.rss) : null,
      handlesDelta: r.warm && r.last ? r.last.handles - r.warm.handles : null,
      handleTypes: r.last?.handleTypes,
      counters: r.counters,
      map: r.map,
      ...(r.final?.timerSites ? { timerSites: r.final.timerSites } : {}),
    });
  }
  const witness = incarnations.find((r) => r.proc === 0);
  const sum = (f) => incarnations.reduce((a, r) => a + (f(r) ?? 0), 0);
  const result = {
    t: 'soak',
    seconds: SECONDS,
    warmUpSeconds: WARM_UP_MS / 1000,
    kills: churn.length,
    datumsSent: sum((r) => r.counters?.ticksSent),
    datumsReceived: sum((r) => r.counters?.ticksReceived),
    datumsLost: gaps.reduce((a, g) => a + g.missing, 0),
    datumsLostOutsideChurn: lostOutside.reduce((a, g) => a + g.missing, 0),
    lostOutsideChurnExamples: lostOutside.slice(0, 5),
    commandsAcked: acked.length,
    commandsLost: lostWorst,
    lostByMember,
    missingExamples,
    members: finals.map((f) => f?.memberInfo),
    executeFailures: sum((r) => r.counters?.executeFailures),
    groupResets: sum((r) => r.counters?.resets),
    mapWrites: sum((r) => r.map?.writes),
    mapFailures: sum((r) => r.map?.failures),
    witnessRssGrowthPct: witness?.warm && witness.last ? pct(witness.last.rss, witness.warm.rss) : null,
    witnessHandlesDelta: witness?.warm && witness.last ? witness.last.handles - witness.warm.handles : null,
    ...(witnessSamples.length >= 2
      ? { witnessAfterGc: growth(witnessSamples[0], witnessSamples.at(-1)) }
      : {}),
    errors,
    warnings,
  };
  result.ok = result.commandsLost === 0 && errors.length === 0;
  line(result);
  process.exitCode = result.ok ? 0 : 1;
} catch (error) {
  line({ t: 'soak', ok: false, error: String(error), errors });
  process.exitCode = 1;
} finally {
  for (const p of processes)
    if (p.child && p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
}

/** Growth between two samples taken after a full GC. */
function growth(from, to) {
  return {
    seconds: Math.round((to.at - from.at) / 1000),
    rssGrowthPct: pct(to.rss, from.rss),
    heapGrowthPct: pct(to.heapUsed, from.heapUsed),
    externalGrowthPct: pct(to.external, from.external),
    handlesDelta: to.handles - from.handles,
  };
}

/** A sample's memory in MiB and its handle count. */
function memory(s) {
  return {
    rssMiB: mib(s.rss),
    heapMiB: mib(s.heapUsed),
    heapTotalMiB: mib(s.heapTotal),
    externalMiB: mib(s.external),
    arrayBuffersMiB: mib(s.arrayBuffers),
    handles: s.handles,
  };
}

function mib(bytes) {
  return Math.round((bytes / 1048576) * 10) / 10;
}

function pct(now, before) {
  return Math.round(((now - before) / before) * 1000) / 10;
}
