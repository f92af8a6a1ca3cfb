/**
 * Crash safety of `FileStorage`: for every fault point, a child process prepares a store, runs the
 * operation through the point and dies there by SIGKILL; the store must then reopen with the
 * hard state, every entry that was durable before the crash (or a snapshot covering it) and
 * either the old or the new snapshot, whole.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scaled } from '@mosaik/id';
import { afterAll, describe, expect, it } from 'vitest';
import { RaftNode } from '../core/raft.js';
import type { Entry, Snapshot } from '../types.js';
import { FileStorage, type StorageFaultPoint, storageFaultPoints } from './file.js';
import {
  appended,
  type CrashOperation,
  compactionSnapshot,
  entry,
  hard,
  newSnapshot,
  oldSnapshot,
  operationsAt,
  prepare,
  run,
  written,
} from './fixtures/crash-scenario.js';

const CHILD = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));
const PACKAGE = fileURLToPath(new URL('../..', import.meta.url));

const root = mkdtempSync(join(tmpdir(), 'mosaik-raft-crash-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

/** Runs the child; resolves with how it ended and what it printed. */
function crash(dir: string, point: StorageFaultPoint, op: CrashOperation) {
  const child = spawn(
    process.execPath,
    ['--conditions=@mosaik/source', '--import', 'tsx', CHILD, dir, point, op],
    { cwd: PACKAGE, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`crash child (${point}, ${op}) neither died nor finished:\n${output}`));
      }, scaled(30_000));
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, output });
      });
    },
  );
}

const sameEntry = (a: Entry | undefined, b: Entry) =>
  a !== undefined &&
  a.index === b.index &&
  a.term === b.term &&
  Buffer.from(a.data).equals(Buffer.from(b.data));
const sameSnapshot = (a: Snapshot, b: Snapshot) =>
  a.meta.index === b.meta.index &&
  a.meta.term === b.meta.term &&
  JSON.stringify(a.meta.conf) === JSON.stringify(b.meta.conf) &&
  Buffer.from(a.data).equals(Buffer.from(b.data));

/** The snapshot in place before `op`. */
const snapshotBefore = (op: CrashOperation) => (op === 'compact' ? compactionSnapshot : oldSnapshot);

/** Checks a store reopened after `op` crashed (or completed). */
function checkRecovered(s: FileStorage, op: CrashOperation): void {
  const snap = s.snapshot();
  const before = snapshotBefore(op);
  const after = newSnapshot(op);
  // The snapshot is the old one or the new one, whole (its checksum passed on open).
  expect(
    sameSnapshot(snap, before) || (after !== undefined && sameSnapshot(snap, after)),
    `snapshot at ${snap.meta.index} is neither the old nor the new one`,
  ).toBe(true);

  const hs = s.hardState();
  expect({ term: hs.term, vote: hs.vote }).toEqual({ term: hard.term, vote: hard.vote });
  expect(hs.commit).toBeGreaterThanOrEqual(hard.commit);

  // Never compacted past the snapshot, and the boundary's term is known.
  const first = s.firstIndex();
  expect(first - 1).toBeLessThanOrEqual(snap.meta.index);
  expect(s.term(first - 1)).toBeDefined();
  const present = s.lastIndex() >= first ? s.entries(first, s.lastIndex() + 1) : [];
  const at = (i: number) => present[i - first];

  // Every committed entry is in the log or covered by the snapshot. Only a snapshot from the
  // leader may drop uncommitted entries; everything else keeps every entry that was synced.
  const installs = op.startsWith('install-') || op.startsWith('receive-');
  for (const e of written) {
    if (e.index <= snap.meta.index && (e.index <= hard.commit || installs)) continue;
    if (e.index < first) {
      throw new Error(`entry ${e.index} was compacted away but the snapshot is at ${snap.meta.index}`);
    }
    if (installs && e.index > hard.commit && at(e.index) === undefined) continue;
    if (op === 'append' && e.index >= appended[0]!.index && sameEntry(at(e.index), appended[e.index - 9]!))
      continue;
    expect(sameEntry(at(e.index), e), `entry ${e.index}`).toBe(true);
  }
  if (op === 'append' && s.lastIndex() > 10) {
    // The new suffix made it: then whole.
    for (const e of appended) expect(sameEntry(at(e.index), e), `appended entry ${e.index}`).toBe(true);
  }

  // A Raft node starts on it (it checks, e.g., that nothing applied is past commit) ...
  const node = new RaftNode({ id: 'a', storage: s });
  expect(node.status().commit).toBeGreaterThanOrEqual(Math.max(hard.commit, snap.meta.index));
  // ... and the store takes new writes.
  const next = entry(s.lastIndex() + 1, hard.term);
  s.append([next]);
  s.sync();
}

describe('FileStorage crash recovery (kill -9 at each fault point)', () => {
  const cases = storageFaultPoints.flatMap((point) => operationsAt(point).map((op) => [point, op] as const));

  it.each(cases)('%s during %s', { timeout: scaled(60_000) }, async (point, op) => {
    const dir = join(root, `d${dirs++}`);
    const end = await crash(dir, point, op);
    expect(end.signal, `the child should die at ${point}:\n${end.output}`).toBe('SIGKILL');

    const s = FileStorage.open(dir);
    try {
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      checkRecovered(s, op);
    } finally {
      s.close();
    }
    // What the recovered store wrote survives another reopen.
    const again = FileStorage.open(dir);
    try {
      expect(again.term(again.lastIndex())).toBe(hard.term);
    } finally {
      again.close();
    }
  });

  it('every operation passes through its fault points in order and completes when none kills', async () => {
    const ops: CrashOperation[] = [
      'install-ahead',
      'install-within',
      'receive-ahead',
      'receive-within',
      'create',
      'create-async',
      'compact',
      'append',
    ];
    for (const op of ops) {
      const dir = join(root, `d${dirs++}`);
      const seen: StorageFaultPoint[] = [];
      let armed = false;
      const s = FileStorage.open(dir, { rewriteSlack: 0, faults: (p) => armed && seen.push(p) });
      prepare(s, op);
      armed = true;
      await run(s, op);
      s.close();
      expect(seen, op).toEqual(storageFaultPoints.filter((p) => operationsAt(p).includes(op)));

      const reopened = FileStorage.open(dir);
      try {
        const after = newSnapshot(op);
        expect(sameSnapshot(reopened.snapshot(), after ?? snapshotBefore(op)), op).toBe(true);
        if (op === 'append') expect(reopened.entries(9, 12)).toEqual(appended);
        if (op === 'compact') expect(reopened.firstIndex()).toBe(7);
        checkRecovered(reopened, op);
      } finally {
        reopened.close();
      }
    }
  });
});
