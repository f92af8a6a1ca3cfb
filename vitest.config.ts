import { defineConfig } from 'vitest/config';
import { mosaikHeavyProject } from './tooling/vitest.preset.mjs';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', mosaikHeavyProject('discovery-swarm', 'packages/discovery')],
    // Integration tests bind real QUIC endpoints; two cores do not gain from more forks.
    maxWorkers: 2,
  },
});
