#!/usr/bin/env node
/** Entry point of the `mosaik` binary. */
import { createProgram } from './program.js';

createProgram()
  .parseAsync(process.argv)
  .then(
    // The throwaway node and DHT socket are closed by now; exit even if a library left a handle.
    () => process.exit(process.exitCode ?? 0),
    (error: unknown) => {
      process.stderr.write(`mosaik: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
