// Reads `--name <non-negative integer>` from the command line of a tooling script (the
// simulators' `--seed`, `--seeds`, `--steps`, …); exits with status 2 and says why on a bad value.
/** @param {string} name @returns {number | undefined} */
export function intArg(name) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 0) {
    process.stderr.write(`--${name} needs a non-negative integer\n`);
    process.exit(2);
  }
  return v;
}
