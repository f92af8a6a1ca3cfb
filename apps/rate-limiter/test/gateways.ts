/** Test helpers: in-process gateways on 127.0.0.1 and an HTTP client. */
import { request } from 'node:http';
import { createLogger, type LogLevel } from '@mosaik/metrics';
import { randomBytes, toHex, waitFor } from 'mosaik';
import { Gateway, type GatewayOptions } from '../src/gateway.js';

const logger = createLogger({
  name: 'rate-limiter-test',
  level: (process.env.MOSAIK_TEST_LOG ?? 'silent') as LogLevel,
  destination: process.stderr,
});

/** Gateways closed together at the end of a test (`await using`). */
export class Gateways implements AsyncDisposable {
  readonly list: Gateway[] = [];
  readonly network = `rate-limiter-test-${toHex(randomBytes(6))}`;
  readonly key = toHex(randomBytes(16));

  /** Starts `n` gateways, each joining through the first, and waits until all can decide. */
  async start(n: number, options: Omit<GatewayOptions, 'port'>): Promise<Gateway[]> {
    for (let i = 0; i < n; i++) {
      const first = this.list[0]?.net;
      this.list.push(
        await Gateway.start({
          port: 0,
          network: this.network,
          key: this.key,
          logger,
          ...(first === undefined ? {} : { bootstrap: [first.addr] }),
          ...options,
        }),
      );
    }
    await Promise.all(this.list.map((g) => g.ready(20_000)));
    await waitFor(() => this.list.every((g) => g.limiter.isAvailable()), {
      timeout: 20_000,
      message: 'every gateway knows the leader',
    });
    // Members join as learners; a crash test needs every one of them voting.
    await waitFor(
      () => this.list.every((g) => g.group === undefined || g.group.members().voters.length === n),
      {
        timeout: 20_000,
        message: `all ${n} gateways vote`,
      },
    );
    return this.list;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.list.splice(0).map((g) => g.close()));
  }
}

/** A response, decoded. */
export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Record<string, unknown>;
  /** When the response arrived (ms since the epoch). */
  readonly at: number;
}

/** `GET url` with optional headers; the body parsed as JSON. */
export function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = { text };
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, at: Date.now() });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error(`no answer from ${url}`)));
    req.end();
  });
}

/** `n` concurrent requests for `user`, spread round-robin over `gateways`; the statuses counted. */
export async function burstOf(
  gateways: readonly { url: string }[],
  user: string,
  n: number,
): Promise<{ replies: Reply[]; count: (status: number) => number }> {
  const replies = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      get(`${gateways[i % gateways.length]!.url}/api/resource?user_id=${user}`),
    ),
  );
  return { replies, count: (status) => replies.filter((r) => r.status === status).length };
}

/**
 * Keeps `perGateway` clients per gateway busy requesting `user` until `until()` is true, pushing
 * every reply into `replies` as it arrives. A client whose gateway is gone stops.
 */
export async function load(
  urls: readonly string[],
  user: string,
  perGateway: number,
  until: () => boolean,
  replies: Reply[] = [],
): Promise<Reply[]> {
  const client = async (url: string) => {
    while (!until()) {
      try {
        replies.push(await get(`${url}/api/resource?user_id=${user}`));
      } catch {
        return; // the gateway is gone
      }
    }
  };
  await Promise.all(urls.flatMap((url) => Array.from({ length: perGateway }, () => client(url))));
  return replies;
}
