/**
 * Checks the options of `Network.create` before anything binds. Options often come from
 * configuration files and environment variables, so a typo must fail loudly, naming the option and
 * what it expects, instead of silently falling back to a default.
 */
import { InvalidArgumentError, SecretKey } from '@mosaik/id';
import { checkEndpointAddr, checkEndpointOptions } from '@mosaik/transport';
import { toEndpointAddr } from './bootstrap-addr.js';
import type { NetworkOptions } from './network.js';

type Check = (value: unknown) => string | undefined;

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);
const describe = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? JSON.stringify(v) : typeof v;

const object: Check = (v) => (isObject(v) ? undefined : `expected an object; got ${describe(v)}`);
const booleanOrObject: Check = (v) =>
  typeof v === 'boolean' || isObject(v)
    ? undefined
    : `expected true, false or an options object; got ${describe(v)}`;
const milliseconds =
  (min: number): Check =>
  (v) =>
    typeof v === 'number' && Number.isFinite(v) && v >= min
      ? undefined
      : `expected milliseconds (a number >= ${min}); got ${describe(v)}`;
/** Checked by the transport, which owns their meaning. */
const byTransport: Check = () => undefined;

/**
 * One check per option. Typed over `keyof NetworkOptions`, so a new option does not compile until
 * it gets a check here (and thereby becomes known to the unknown-option test).
 */
const CHECKS: { readonly [K in keyof Required<NetworkOptions>]: Check } = {
  preset: byTransport,
  relayMode: byTransport,
  bindAddrs: byTransport,
  relayGracePeriod: milliseconds(0),
  secretKey: (v) =>
    v instanceof SecretKey || (typeof v === 'string' && v.length > 0)
      ? undefined
      : `expected a SecretKey or a non-empty string (hashed into a key); got ${describe(v)}`,
  metrics: object,
  logger: object,
  maxFrameSize: (v) =>
    Number.isInteger(v) && (v as number) > 0
      ? undefined
      : `expected a positive integer (bytes); got ${describe(v)}`,
  prometheusAddr: (v) =>
    typeof v === 'string' && /^.*:\d{1,5}$/.test(v) ? undefined : `expected "host:port"; got ${describe(v)}`,
  bootstrap: (v) =>
    Array.isArray(v)
      ? undefined
      : `expected an array of EndpointAddr or "<peer-id>@<ip:port>" strings; got ${describe(v)}`,
  processMetrics: (v) => (typeof v === 'boolean' ? undefined : `expected true or false; got ${describe(v)}`),
  diagnosticsAddr: (v) =>
    (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 65_535) ||
    (typeof v === 'string' && /^(.*:)?\d{1,5}$/.test(v))
      ? undefined
      : `expected "host:port" or a port number; got ${describe(v)}`,
  diagnosticsToken: (v) =>
    typeof v === 'string' && v.length > 0 ? undefined : `expected a non-empty string; got ${describe(v)}`,
  discovery: object,
  dht: booleanOrObject,
  mdns: booleanOrObject,
  streams: object,
  groups: object,
  signal: (v) => (v instanceof AbortSignal ? undefined : `expected an AbortSignal; got ${describe(v)}`),
  timeout: milliseconds(1),
  waitForRelay: (v) => (typeof v === 'boolean' ? undefined : `expected true or false; got ${describe(v)}`),
};

/** The names of every option of `Network.create` (for docs checks). */
export function networkOptionNames(): string[] {
  return Object.keys(CHECKS);
}

/** The known option closest to a misspelt one, if it is close enough to be a typo. */
function suggestion(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const known of Object.keys(CHECKS)) {
    const d = editDistance(name.toLowerCase(), known.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [known, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** Throws {@link InvalidArgumentError} for the first unknown or malformed option of `Network.create`. */
export function checkNetworkOptions(options: unknown): NetworkOptions {
  if (options === undefined) return {};
  if (!isObject(options)) {
    throw new InvalidArgumentError(`Network.create: options: expected an object; got ${describe(options)}`);
  }
  for (const [name, value] of Object.entries(options as Record<string, unknown>)) {
    const check = CHECKS[name as keyof NetworkOptions];
    if (check === undefined) {
      const hint = suggestion(name);
      throw new InvalidArgumentError(
        `Network.create: unknown option "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}; ` +
          `known options: ${Object.keys(CHECKS).join(', ')}`,
      );
    }
    if (value === undefined) continue;
    const problem = check(value);
    if (problem !== undefined) throw new InvalidArgumentError(`Network.create: ${name}: ${problem}`);
  }
  const checked = options as NetworkOptions;
  try {
    checkEndpointOptions(checked);
    for (const [i, addr] of (checked.bootstrap ?? []).entries()) {
      checkEndpointAddr(toEndpointAddr(addr), `bootstrap[${i}]`);
    }
    const nested = checked.discovery?.bootstrap;
    if (nested !== undefined && !Array.isArray(nested)) {
      throw new InvalidArgumentError(
        `discovery.bootstrap: expected an array of EndpointAddr; got ${describe(nested)}`,
      );
    }
    for (const [i, addr] of (nested ?? []).entries()) checkEndpointAddr(addr, `discovery.bootstrap[${i}]`);
  } catch (error) {
    if (error instanceof InvalidArgumentError) {
      throw new InvalidArgumentError(`Network.create: ${error.message}`, { cause: error });
    }
    throw error;
  }
  return checked;
}
