import { mosaikHeavyProject } from '@mosaik/tooling/vitest';

// `*.heavy.test.ts` (many in-process nodes): `pnpm --filter @mosaik/rsm test:heavy`, or the root
// suite once it lists `mosaikHeavyProject('rsm-heavy', 'packages/rsm')`.
export default mosaikHeavyProject('rsm-heavy', '.');
