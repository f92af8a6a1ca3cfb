import { mosaikProject } from '@mosaik/tooling/vitest';

export default mosaikProject('app-orderbook');
