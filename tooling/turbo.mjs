#!/usr/bin/env node
// Runs turbo with its anonymous telemetry and update check turned off, so that the quick start
// (`pnpm install && pnpm demo`) prints no notice the user did not ask for. A plain `VAR=1 turbo`
// prefix in package.json would not work in Windows shells; this works wherever node does.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const launcher = createRequire(import.meta.url).resolve('turbo/bin/turbo');
const result = spawnSync(process.execPath, [launcher, '--no-update-notifier', ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
});
if (result.error) throw result.error;
process.exit(result.status ?? 1);
