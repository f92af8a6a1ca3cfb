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
      // Heavy tests (dozens of in-process nodes) run in their own later group: see mosaikHeavyProject.
      exclude: ['**/node_modules/**', '**/*.heavy.test.ts'],
      testTimeout: 30_000 * Number(process.env.TIME_FACTOR ?? 1),
      hookTimeout: 30_000 * Number(process.env.TIME_FACTOR ?? 1),
      env: { MOSAIK_LOG: process.env.MOSAIK_LOG ?? 'silent', RUST_LIB_BACKTRACE: '0' },
      ...test,
    },
  });
}

/**
 * The `*.heavy.test.ts` files of a package as a project of their own that runs after every
 * other project (`sequence.groupOrder` ≥ 2; rsm's sequential project is group 1), so tests that
 * start dozens of nodes get both cores instead of competing with the rest of the suite.
 * Listed in the root vitest.config.ts.
 * Each heavy project gets its own group: projects of one group run side by side.
 * @param {string} name @param {string} root the package folder, relative to the repository
 * @param {number} groupOrder 2 or later (group 1 is rsm's sequential project)
 */
export function mosaikHeavyProject(name, root, groupOrder) {
  const project = mosaikProject(name, {
    include: ['src/**/*.heavy.test.ts', 'test/**/*.heavy.test.ts'],
    exclude: ['**/node_modules/**'],
    sequence: { groupOrder },
  });
  return { ...project, root };
}
