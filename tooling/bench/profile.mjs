// Shared by the benchmarks (dev only): a CPU profile of part of a run, through the inspector, so
// a profile covers the measured phase only and not the set-up before it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { dirname } from 'node:path';

/**
 * Starts this process's CPU profiler. The returned function stops it and gives the profile,
 * which is what a `.cpuprofile` file holds.
 * @returns {Promise<() => Promise<object>>}
 */
export async function startProfile() {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    return profile;
  };
}

/**
 * Writes `profile` to `file` (a `.cpuprofile`), creating its directory.
 * @param {string} file @param {object} profile
 */
export function saveProfile(file, profile) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(profile));
}
