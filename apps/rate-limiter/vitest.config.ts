import { mosaikProject } from '@mosaik/tooling/vitest';

export default mosaikProject('app-rate-limiter', { passWithNoTests: true });
