import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLResponse } from '@apollo/server';
import type { Logger } from '../logger';
import { correlationIdOf } from './correlation';

/** Largest request body accepted; larger ones get 413 before any parsing. */
export const MAX_BODY_BYTES = 1_000_000;

/**
 * How long an idle kept-alive connection stays open. Longer than any client or proxy in front
 * keeps one (the gateway's subgraph fetcher drops its idle sockets after 30 s; load balancers
 * commonly after 60 s), so the client, never the server, closes an idle connection, and a request
 * never meets a socket the server is closing at that moment.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface RequestInfo {
  req: IncomingMessage;
  correlationId: string;
  logger: Logger;
  /** The operation as the request carries it (POST body or GET parameters), for signature checks. */
  operation: { query: string; variables: unknown; operationName: string | null };
}

export interface HttpServerOptions<C extends BaseContext> {
  /** Named in GET /health, so a caller can tell which service answers on a port. */
  name?: string;
  port: number;
  host?: string;
  logger: Logger;
  apollo: ApolloServer<C>;
  /** Builds the GraphQL context; throw HttpError to answer with that status instead. */
  context: (info: RequestInfo) => Promise<C>;
  /** Readiness: database and broker connected. */
  ready: () => Promise<boolean>;
  /**
   * Extra GET routes by path (e.g. a JWKS document), answered with JSON; a route may throw
   * HttpError to answer with that status.
   */
  routes?: Record<string, (req: IncomingMessage, url: URL) => Promise<unknown>>;
}

export interface RunningServer {
  url: string;
  port: number;
  /** Stops accepting connections and waits for the requests in flight. */
  stop: () => Promise<void>;
}

/**
 * A plain node:http server: GET /health (process up), GET /ready (dependencies connected), and
 * GraphQL on /graphql through Apollo's HTTP entry point. Every request gets a correlation id,
 * taken from `x-correlation-id` when the caller sent a well-formed one (correlationIdOf).
 */
export async function startHttpServer<C extends BaseContext>(
  options: HttpServerOptions<C>,
): Promise<RunningServer> {
  const { apollo, logger } = options;
  const server = createServer((req, res) => {
    void route(req, res).catch((err: unknown) => {
      logger.error({ err }, 'unhandled error in HTTP handler');
      if (!res.headersSent) send(res, 500, { errors: [{ message: 'Internal server error' }] });
    });
  });
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  // Above keepAliveTimeout, so a slow first request line on a kept-alive connection is never cut
  // before the idle timer would have been (https://nodejs.org/api/http.html#serverheaderstimeout).
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/health')
      return send(res, 200, { status: 'ok', service: options.name ?? null });
    if (req.method === 'GET' && url.pathname === '/ready') {
      const ok = await options.ready().catch(() => false);
      return send(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready' });
    }
    const extra = req.method === 'GET' ? options.routes?.[url.pathname] : undefined;
    if (extra) {
      try {
        return send(res, 200, await extra(req, url));
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        return send(res, err.status, { errors: [{ message: err.message, extensions: { code: err.code } }] });
      }
    }
    if (url.pathname !== '/graphql') return send(res, 404, { errors: [{ message: 'Not found' }] });

    const correlationId = correlationIdOf(headerValue(req, 'x-correlation-id'));
    const requestLogger = logger.child({ correlationId });
    res.setHeader('x-correlation-id', correlationId);
    let context: C;
    let body: unknown;
    try {
      body = req.method === 'POST' ? await readJson(req) : undefined;
      const operation = operationOf(body, url.searchParams);
      context = await options.context({ req, correlationId, logger: requestLogger, operation });
    } catch (err) {
      if (err instanceof HttpError) {
        return send(res, err.status, { errors: [{ message: err.message, extensions: { code: err.code } }] });
      }
      throw err;
    }
    const headers = new HeaderMap();
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
    }
    const started = performance.now();
    const result = await apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context: async () => context,
    });
    for (const [key, value] of result.headers) res.setHeader(key, value);
    res.statusCode = statusFor(result);
    requestLogger.info(
      {
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
        operation: (body as { operationName?: unknown } | undefined)?.operationName ?? null,
      },
      'graphql request',
    );
    if (result.body.kind === 'complete') {
      res.end(result.body.string);
      return;
    }
    for await (const chunk of result.body.asyncIterator) res.write(chunk);
    res.end();
  }

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/graphql`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The query, variables and operation name a request carries, as plain values (never throws). */
export function operationOf(body: unknown, search: URLSearchParams): RequestInfo['operation'] {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  if (body !== undefined) {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    return { query: text(b.query) ?? '', variables: b.variables, operationName: text(b.operationName) };
  }
  let variables: unknown;
  try {
    variables = JSON.parse(search.get('variables') ?? 'null') as unknown;
  } catch {
    variables = undefined;
  }
  return {
    query: search.get('query') ?? '',
    variables: variables ?? undefined,
    operationName: search.get('operationName'),
  };
}

/** GraphQL request errors: the document does not parse or validate, names no such operation, or its variables do not coerce. */
const REQUEST_ERROR_CODES: ReadonlySet<unknown> = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_USER_INPUT',
]);

/**
 * The status to answer with. Apollo answers 400 to GraphQL request errors whatever the media type;
 * with application/json the GraphQL over HTTP spec wants 200 for a well-formed request
 * (https://graphql.github.io/graphql-over-http/draft/#sec-application-json), and keeps 400 for
 * application/graphql-response+json and for requests that are not well-formed (BAD_REQUEST:
 * no query, a query that is not a string, ...), which stay as Apollo answered.
 */
function statusFor(result: HTTPGraphQLResponse): number {
  const status = result.status ?? 200;
  if (status !== 400 || result.body.kind !== 'complete') return status;
  if (!(result.headers.get('content-type') ?? '').startsWith('application/json')) return status;
  let errors: unknown;
  try {
    errors = (JSON.parse(result.body.string) as { errors?: unknown } | null)?.errors;
  } catch {
    return status;
  }
  const codes = Array.isArray(errors)
    ? errors.map((e) => (e as { extensions?: { code?: unknown } } | null)?.extensions?.code)
    : [];
  return codes.length > 0 && codes.every((code) => REQUEST_ERROR_CODES.has(code)) ? 200 : status;
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(payload));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(413, `Request body exceeds ${MAX_BODY_BYTES} bytes`, 'PAYLOAD_TOO_LARGE');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'Request body is not valid JSON', 'BAD_REQUEST');
  }
}
