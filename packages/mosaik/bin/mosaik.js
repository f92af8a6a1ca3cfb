#!/usr/bin/env node
// Launcher for the `mosaik` CLI: a committed file, so package managers can link the bin
// before the TypeScript build has produced dist/.
import('../dist/cli/main.js').catch((error) => {
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    process.stderr.write(
      'mosaik: the CLI is not built: run `pnpm build` in the repository, or `pnpm mosaik <command>` from its root\n',
    );
    process.exit(1);
  }
  throw error;
});
