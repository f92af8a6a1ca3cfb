/** Starts this process's CPU profiler; the returned function stops it and gives the profile. */
export function startProfile(): Promise<() => Promise<object>>;
