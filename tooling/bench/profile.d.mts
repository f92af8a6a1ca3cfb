/** Starts this process's CPU profiler; the returned function stops it and gives the profile. */
export function startProfile(): Promise<() => Promise<object>>;

/** Writes `profile` to `file` (a `.cpuprofile`), creating its directory. */
export function saveProfile(file: string, profile: object): void;
