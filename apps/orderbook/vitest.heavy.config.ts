import { mosaikHeavyProject } from '@mosaik/tooling/vitest';

// `*.heavy.test.ts` (several app processes, a leader killed with -9): `pnpm --filter
// @mosaik/app-orderbook test:heavy`, and in the root suite's late heavy groups.
export default mosaikHeavyProject('app-orderbook-heavy', '.', 4);
