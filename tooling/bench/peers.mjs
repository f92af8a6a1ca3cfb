// Shared by the benchmarks (dev only): the peers we compare with (etcd, NATS) come from Debian.
// A benchmark without its peer prints no ratio, and a missing ratio reads like a good one, so a
// peer that cannot be had is an error with the command that would fix it, never a silent gap.
import { spawnSync } from 'node:child_process';

let aptUpdated = false;

/** @param {string} binary @param {readonly string[]} versionArgs */
function runs(binary, versionArgs) {
  return spawnSync(binary, versionArgs, { stdio: 'ignore' }).status === 0;
}

/** @param {readonly string[]} args */
function apt(args) {
  const result = spawnSync('apt-get', args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 600_000,
  });
  return { ok: result.status === 0, stderr: String(result.stderr ?? '').trim() };
}

/**
 * Makes sure `binary` runs, installing Debian package `pkg` when it does not (as root: the
 * package lists are refreshed once per process first, since a fresh machine has none).
 * Throws an error naming the fix when the peer cannot be had.
 *
 * @param {{ binary: string, pkg: string, versionArgs?: readonly string[], log?: (msg: string) => void }} peer
 */
export function requireDebianPeer({ binary, pkg, versionArgs = ['--version'], log = console.error }) {
  if (runs(binary, versionArgs)) return;
  const fix = `apt-get update && apt-get install -y ${pkg}`;
  if (process.getuid?.() !== 0) {
    throw new Error(`benchmark peer ${binary} is missing and this is not root: run \`${fix}\``);
  }
  log(`${binary} not found: installing Debian package ${pkg}`);
  if (!aptUpdated) {
    const update = apt(['update']);
    if (!update.ok) throw new Error(`apt-get update failed (${update.stderr}); needed for ${pkg}`);
    aptUpdated = true;
  }
  const install = apt(['install', '-y', pkg]);
  if (!install.ok || !runs(binary, versionArgs)) {
    throw new Error(
      `could not install benchmark peer ${pkg} (${install.stderr || 'binary still missing'}): try \`${fix}\``,
    );
  }
}
