import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*'],
    // Integration tests bind real QUIC endpoints; two cores do not gain from more forks.
    maxWorkers: 2,
  },
});
