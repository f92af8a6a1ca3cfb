import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { privateImports } from './check-layers.mjs';

const repo = '/repo';
const exported = new Map([
  ['@mosaik/transport', new Set()],
  ['@mosaik/raft', new Set(['./testing'])],
]);
const inStreams = join(repo, 'packages/streams/bench/peer.ts');
const streamsRoot = join(repo, 'packages/streams');
const check = (text) => privateImports(text, inStreams, streamsRoot, repo, exported);

describe('check-layers: private cross-package imports', () => {
  it("flags a path into another package's files", () => {
    expect(check("import { toNative } from '../../transport/src/native.js';")).toEqual([
      '../../transport/src/native.js',
    ]);
    expect(check("const m = await import('../../rsm/bench/etcd.js');")).toEqual(['../../rsm/bench/etcd.js']);
    expect(check("export { x } from '../../../apps/chat/src/session.js';")).toEqual([
      '../../../apps/chat/src/session.js',
    ]);
  });

  it('flags a subpath the package does not export', () => {
    expect(check("import { x } from '@mosaik/transport/src/native.js';")).toEqual([
      '@mosaik/transport/src/native.js',
    ]);
  });

  it('allows own files, tooling, exported subpaths and public entries', () => {
    const text = [
      "import { defineStream } from '../src/index.js';",
      "import { line } from '../../../tooling/bench/child.mjs';",
      "import { Simulator } from '@mosaik/raft/testing';",
      "import { LocalNode } from '@mosaik/transport';",
      "import { createRequire } from 'node:module';",
    ].join('\n');
    expect(check(text)).toEqual([]);
  });
});
