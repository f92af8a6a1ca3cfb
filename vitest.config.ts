import { defineConfig } from 'vitest/config';
import { mosaikHeavyProject } from './tooling/vitest.preset.mjs';

export default defineConfig({
  test: {
    projects: [
      'packages/*',
      'apps/*',
      'tooling',
      mosaikHeavyProject('discovery-heavy', 'packages/discovery', 2),
      mosaikHeavyProject('rsm-heavy', 'packages/rsm', 3),
      mosaikHeavyProject('app-orderbook-heavy', 'apps/orderbook', 4),
    ],
    // Integration tests run real QUIC nodes whose timers, handshakes and elections need the
    // CPU on time; on two cores, two test files at once make them measure the scheduler.
    // One file at a time keeps the suite deterministic and still takes only a few minutes.
    maxWorkers: 1,
  },
});
