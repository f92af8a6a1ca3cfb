// Shared vitest preset: every package's vitest.config.ts calls `mosaikProject`.
// Workspace packages are resolved to their TypeScript sources through the
// `@mosaik/source` export condition, so tests never need a prior build.
import { defineProject } from 'vitest/config';

const sourceConditions = ['@mosaik/source', 'node', 'import', 'module', 'default'];

/** @param {string} name @param {import('vitest/config').UserWorkspaceConfig['test']} [test] */
export function mosaikProject(name, test = {}) {
  return defineProject({
    resolve: { conditions: sourceConditions },
    ssr: { resolve: { conditions: sourceConditions, externalConditions: sourceConditions } },
    test: {
      name,
      environment: 'node',
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: 30_000 * Number(process.env.TIME_FACTOR ?? 1),
      hookTimeout: 30_000 * Number(process.env.TIME_FACTOR ?? 1),
      env: { MOSAIK_LOG: process.env.MOSAIK_LOG ?? 'silent', RUST_LIB_BACKTRACE: '0' },
      ...test,
    },
  });
}
