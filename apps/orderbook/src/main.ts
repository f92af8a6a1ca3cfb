#!/usr/bin/env node
// Entry point of `pnpm orderbook`: run the command line, then exit with its code.
process.env.RUST_LIB_BACKTRACE ??= '0';
const { main } = await import('./cli.js');

try {
  process.exitCode = await main(process.argv);
} catch (error) {
  process.stderr.write(`orderbook: ${(error as Error)?.stack ?? error}\n`);
  process.exitCode = 1;
}
// Everything is closed by now; should a native handle linger, do not hang on it.
setTimeout(() => process.exit(), 2000).unref();
