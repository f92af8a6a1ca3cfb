/** Reads `--name <non-negative integer>`; exits with status 2 on a bad value. */
export function intArg(name: string): number | undefined;
