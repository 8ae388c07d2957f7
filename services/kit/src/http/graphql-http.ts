import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { Logger } from '../logger';
import { correlationIdOf } from './correlation';

/** Largest request body accepted; larger ones get 413 before any parsing. */
export const MAX_BODY_BYTES = 1_000_000;

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
  /** Extra public GET routes by path (e.g. a JWKS document), answered with JSON. */
  routes?: Record<string, () => Promise<unknown>>;
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
  server.keepAliveTimeout = 5_000;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/health')
      return send(res, 200, { status: 'ok', service: options.name ?? null });
    if (req.method === 'GET' && url.pathname === '/ready') {
      const ok = await options.ready().catch(() => false);
      return send(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready' });
    }
    const extra = req.method === 'GET' ? options.routes?.[url.pathname] : undefined;
    if (extra) return send(res, 200, await extra());
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
    res.statusCode = result.status ?? 200;
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
function operationOf(body: unknown, search: URLSearchParams): RequestInfo['operation'] {
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
