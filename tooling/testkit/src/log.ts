/** Quiet logging for tests, with a way to look when a test fails. */
import { createWriteStream } from 'node:fs';
import { createLogger, type Logger, type LogLevel } from '@mosaik/metrics';

let shared: Logger | undefined;

/**
 * The tests' logger: silent unless `MOSAIK_TEST_LOG` names a level. `MOSAIK_TEST_LOG_DIR` then
 * sends the lines to one file per test process in that folder (for post-mortems of a full run).
 */
export function testLogger(): Logger {
  shared ??= createLogger({
    level: (process.env.MOSAIK_TEST_LOG ?? 'silent') as LogLevel,
    ...(process.env.MOSAIK_TEST_LOG_DIR === undefined
      ? {}
      : { destination: createWriteStream(`${process.env.MOSAIK_TEST_LOG_DIR}/test-${process.pid}.log`) }),
  });
  return shared;
}
