#!/usr/bin/env node
/** Entry point of the `rate-limiter` command. */
import { createProgram } from './cli.js';

createProgram()
  .parseAsync(process.argv)
  .then(
    // Every gateway, node and timer is closed by now; exit even if a library left a handle.
    () => process.exit(process.exitCode ?? 0),
    (error: unknown) => {
      process.stderr.write(`rate-limiter: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
