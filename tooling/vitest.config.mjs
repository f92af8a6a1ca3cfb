import { mosaikProject } from './vitest.preset.mjs';

export default mosaikProject('tooling', { include: ['*.test.mjs'] });
