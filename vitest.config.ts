import { mosaikHeavyProject } from './tooling/vitest.preset.mjs';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', mosaikHeavyProject('discovery-swarm', 'packages/discovery')],
    // Integration tests bind real QUIC endpoints; two cores do not gain from more forks.
    maxWorkers: 2,
  },
});
