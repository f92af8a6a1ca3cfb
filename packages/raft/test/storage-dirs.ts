/**
 * Temporary directories for `FileStorage` tests: one root per test file, removed with every
 * storage opened in it once the file's tests are done.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { FileStorage } from '../src/storage/file.js';

/** Registers the clean-up with vitest; call at the top level of a test file. */
export function storageDirs(prefix: string): {
  newDir: () => string;
  openFile: (dir: string) => FileStorage;
} {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const opened: FileStorage[] = [];
  afterAll(() => {
    for (const s of opened) s.close();
    rmSync(root, { recursive: true, force: true });
  });
  let dirs = 0;
  return {
    newDir: () => join(root, `d${dirs++}`),
    openFile: (dir) => {
      const s = FileStorage.open(dir);
      opened.push(s);
      return s;
    },
  };
}
