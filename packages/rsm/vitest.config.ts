import { mosaikProject } from '@mosaik/tooling/vitest';

// Files run one after another, in a group of their own after the light projects: each spins
// up several real nodes whose timers compete for the same two cores, and elections under that
// contention would only measure the scheduler.
export default mosaikProject('rsm', { fileParallelism: false, sequence: { groupOrder: 1 } });
