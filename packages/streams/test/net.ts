/** The streams tests' preset of the workspace testkit: nodes run discovery and streams. */
import type { DiscoveryConfig } from '@mosaik/discovery';
import { QUIET_DISCOVERY, Cluster as TestCluster, until } from '@mosaik/testkit';

export { discoverAll, metricValue, staysFalse, type TestNode } from '@mosaik/testkit';

/** Quiet discovery, and departures that do not hold a closing test back. */
export const QUIET: Partial<DiscoveryConfig> = { ...QUIET_DISCOVERY, gracefulDepartureWindowMs: 100 };

/** Nodes running streams on a fresh network, closed together (streams first everywhere). */
export class Cluster extends TestCluster {
  constructor() {
    super({ prefix: 'streams-test', node: { streams: true, discovery: QUIET } });
  }
}

/** Waits for `probe` with a scaled deadline. */
export function eventually<T>(probe: () => T, message: string, timeout = 10_000) {
  return until(probe, message, timeout);
}

/** Postcard-compatible string codec (varint length ‖ UTF-8), so byte counts match the reference tests. */
export const postcardString = {
  encode(s: string): Uint8Array {
    const body = new TextEncoder().encode(s);
    const len: number[] = [];
    let n = body.length;
    do {
      let b = n & 0x7f;
      n >>>= 7;
      if (n) b |= 0x80;
      len.push(b);
    } while (n);
    const out = new Uint8Array(len.length + body.length);
    out.set(len);
    out.set(body, len.length);
    return out;
  },
  decode(bytes: Uint8Array): string {
    let n = 0;
    let shift = 0;
    let i = 0;
    for (;;) {
      const b = bytes[i++];
      if (b === undefined) throw new Error('truncated');
      n |= (b & 0x7f) << shift;
      if (!(b & 0x80)) break;
      shift += 7;
    }
    if (i + n !== bytes.length) throw new Error('bad length');
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(i));
  },
};

/** HS256 JWT tickets and validators for tests. */
export const JWT_SECRET = 'mosaik.test.jwt.secret.0123456789abcdef';
export const JWT_ISSUER = 'mosaik.test.jwt.issuer';
