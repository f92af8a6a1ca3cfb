/**
 * The HTTP surface of a gateway (`node:http`): `GET /api/resource?user_id=…` (or the `X-User-Id`
 * header) answers 200 or 429 with the IETF draft `RateLimit-*` headers and `Retry-After`.
 * Requests without a valid user id are answered 400 here and never reach the limiter.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type Decision, type Limiter, MAX_KEY_LENGTH } from './limiter.js';

/** What the gateway records per request (the metrics labels). */
export type Outcome = 'allowed' | 'denied' | 'unavailable' | 'failed_open' | 'rejected';

/** Options of {@link createGatewayServer}. */
export interface GatewayServerOptions {
  readonly limiter: Limiter;
  /** The bucket's capacity and rate, for the headers. */
  readonly burst: number;
  readonly rpm: number;
  /** Grant requests when the limiter cannot decide (default: refuse with 503). */
  readonly failOpen?: boolean;
  /** Called once per request with its outcome. */
  readonly onOutcome?: (outcome: Outcome) => void;
  /** Facts for `GET /healthz`. */
  readonly health?: () => Record<string, unknown>;
}

/** Largest request head accepted; bigger ones get 400 before any handler runs. */
export const MAX_HEADER_BYTES = 8 * 1024;

/** Letters, digits and `._~:@-`, 1 to 64 of them: safe as a key, a label and in logs. */
const USER_ID = new RegExp(`^[A-Za-z0-9._~:@-]{1,${MAX_KEY_LENGTH}}$`);

/** The user id of a request, or why there is none. */
export function userIdOf(req: IncomingMessage, url: URL): { id: string } | { error: string } {
  const fromQuery = url.searchParams.getAll('user_id');
  const header = req.headers['x-user-id'];
  if (fromQuery.length > 1) return { error: 'user_id given more than once' };
  if (Array.isArray(header)) return { error: 'X-User-Id given more than once' };
  const q = fromQuery[0];
  if (q !== undefined && header !== undefined && q !== header)
    return { error: 'user_id and X-User-Id disagree' };
  const id = q ?? header;
  if (id === undefined || id === '') return { error: 'missing user_id (query) or X-User-Id (header)' };
  if (!USER_ID.test(id)) return { error: `user id must match ${USER_ID.source}` };
  return { id };
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | number> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-store',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : text);
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/** The draft's headers: limit, remaining, seconds until full, and the policy (burst per refill window). */
function rateLimitHeaders(burst: number, rpm: number, remaining: number, resetMs: number) {
  return {
    'RateLimit-Limit': burst,
    'RateLimit-Remaining': remaining,
    'RateLimit-Reset': seconds(resetMs),
    'RateLimit-Policy': `${burst};w=${Math.max(1, Math.round((burst * 60) / rpm))}`,
  };
}

/** Answers one decided request. */
function answer(res: ServerResponse, decision: Decision, o: GatewayServerOptions): Outcome {
  const { burst, rpm } = o;
  switch (decision.kind) {
    case 'allow':
      send(
        res,
        200,
        { ok: true, remaining: decision.remaining, limit: burst, resetMs: decision.resetMs },
        rateLimitHeaders(burst, rpm, decision.remaining, decision.resetMs),
      );
      return 'allowed';
    case 'deny':
      send(
        res,
        429,
        { ok: false, retryAfterMs: decision.retryAfterMs },
        {
          ...rateLimitHeaders(burst, rpm, 0, decision.resetMs),
          'Retry-After': seconds(decision.retryAfterMs),
        },
      );
      return 'denied';
    case 'unavailable':
      if (o.failOpen) {
        send(
          res,
          200,
          { ok: true, degraded: true, limit: burst, reason: decision.reason },
          { 'RateLimit-Limit': burst },
        );
        return 'failed_open';
      }
      send(
        res,
        503,
        { ok: false, error: 'rate limiter unavailable', reason: decision.reason, retryAfterMs: 1000 },
        {
          'Retry-After': 1,
        },
      );
      return 'unavailable';
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, o: GatewayServerOptions): Promise<void> {
  req.resume(); // a body, if any, is ignored
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://gateway');
  } catch {
    send(res, 400, { ok: false, error: 'malformed request target' });
    o.onOutcome?.('rejected');
    return;
  }
  if (url.pathname === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
    send(res, 200, { ok: true, mode: o.limiter.mode, available: o.limiter.isAvailable(), ...o.health?.() });
    return;
  }
  if (url.pathname !== '/api/resource') {
    send(res, 404, { ok: false, error: 'not found' });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(res, 405, { ok: false, error: 'method not allowed' }, { Allow: 'GET, HEAD' });
    return;
  }
  const user = userIdOf(req, url);
  if ('error' in user) {
    send(res, 400, { ok: false, error: user.error });
    o.onOutcome?.('rejected');
    return;
  }
  const decision = await o.limiter.decide(user.id);
  if (res.destroyed) return;
  o.onOutcome?.(answer(res, decision, o));
}

/**
 * The gateway's HTTP server (not listening yet). Malformed requests the HTTP parser refuses (a
 * request head over {@link MAX_HEADER_BYTES}, garbage bytes) get a 400 and a closed connection.
 */
export function createGatewayServer(options: GatewayServerOptions): Server {
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: 10_000 }, (req, res) => {
    handle(req, res, options).catch(() => {
      if (!res.headersSent) send(res, 500, { ok: false, error: 'internal error' });
      else res.destroy();
    });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code !== 'ECONNRESET' && socket.writable) {
      const body = JSON.stringify({ ok: false, error: `bad request (${error.code ?? 'parse error'})` });
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      options.onOutcome?.('rejected');
    } else socket.destroy();
  });
  return server;
}
