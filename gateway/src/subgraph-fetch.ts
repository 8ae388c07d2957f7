import http from 'node:http';
import https from 'node:https';
import type { RemoteGraphQLDataSource } from '@apollo/gateway';
import type { Logger } from '@concierge/kit';

type Fetcher = RemoteGraphQLDataSource['fetcher'];
type FetcherInit = NonNullable<Parameters<Fetcher>[1]>;

/**
 * Idle sockets to subgraphs are dropped after this long: well inside the subgraphs' own
 * keep-alive timeout (kit KEEP_ALIVE_TIMEOUT_MS, 65 s), so the gateway, not the subgraph, closes
 * an idle connection. A server that announces a shorter `Keep-Alive: timeout=N` (a proxy) is
 * honoured: node's agent then drops the socket a second before N.
 */
export const SUBGRAPH_IDLE_TIMEOUT_MS = 30_000;

/** How long a request on a reused socket waits for `100 Continue` before sending its body anyway. */
export const CONTINUE_TIMEOUT_MS = 1_000;

/** The peer closed the connection: a reset, a write into a closed socket, or "socket hang up". */
const CONNECTION_CLOSED: ReadonlySet<unknown> = new Set(['ECONNRESET', 'EPIPE']);

export interface SubgraphFetcherOptions {
  idleTimeoutMs?: number;
  continueTimeoutMs?: number;
  /** Retries are logged here (warn), with the request's correlation id. */
  logger?: Logger;
}

/** A fetcher for RemoteGraphQLDataSource; `close()` drops its pooled sockets. */
export type SubgraphFetcher = Fetcher & { close: () => void };

type Outcome = { ok: true; response: Response } | { ok: false; error: Error; retryable: boolean };

/**
 * The gateway's fetcher for subgraph calls: kept-alive connections that the gateway drops before
 * the subgraphs would, and one retry, on a new connection, of a request whose operation never
 * left the gateway because the reused connection it was given had just been closed by the other
 * side (the keep-alive race: "socket hang up", ECONNRESET).
 *
 * On a reused connection the request goes out with `Expect: 100-continue` (RFC 9110 §10.1.1):
 * the body, which is the operation, is sent only once the subgraph answers `100 Continue`. A
 * failure before that cannot have executed anything and is retried; a failure after it is the
 * caller's error, since the subgraph may have run the operation. New connections send at once:
 * their failures are never retried. The price is one round trip per call on a reused connection.
 */
export function createSubgraphFetcher(options: SubgraphFetcherOptions = {}): SubgraphFetcher {
  const idleTimeoutMs = options.idleTimeoutMs ?? SUBGRAPH_IDLE_TIMEOUT_MS;
  const continueTimeoutMs = options.continueTimeoutMs ?? CONTINUE_TIMEOUT_MS;
  // The agent's `timeout` destroys a pooled socket idle that long; on a socket in use it only
  // emits 'timeout', which nobody listens to here (a slow subgraph is not cut off).
  const agents = {
    'http:': new http.Agent({ keepAlive: true, timeout: idleTimeoutMs }),
    'https:': new https.Agent({ keepAlive: true, timeout: idleTimeoutMs }),
  };

  const fetcher = async (url: string, init: FetcherInit = {}): Promise<Response> => {
    const target = new URL(url);
    const agent = target.protocol === 'https:' ? agents['https:'] : agents['http:'];
    const first = await send(target, init, agent, continueTimeoutMs);
    if (first.ok) return first.response;
    if (!first.retryable) throw first.error;
    options.logger?.warn(
      {
        correlationId: headerOf(init, 'x-correlation-id'),
        subgraph: target.origin,
        code: (first.error as NodeJS.ErrnoException).code,
      },
      'subgraph closed a kept-alive connection before the operation was sent; retrying on a new connection',
    );
    // agent: false opens a new connection, so the retry cannot meet another stale pooled socket.
    const second = await send(target, init, false, continueTimeoutMs);
    if (second.ok) return second.response;
    throw second.error;
  };
  return Object.assign(fetcher, {
    close: () => {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  });
}

/** One HTTP exchange; never rejects. `retryable` only when the body provably never left. */
function send(
  target: URL,
  init: FetcherInit,
  agent: http.Agent | false,
  continueTimeoutMs: number,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const body = init.body === undefined ? undefined : Buffer.from(init.body);
    const headers: Record<string, string> = { ...init.headers };
    if (body) headers['content-length'] = String(body.length);
    const transport = target.protocol === 'https:' ? https : http;
    const request = transport.request(target, {
      method: init.method ?? 'GET',
      headers,
      agent,
      signal: init.signal as AbortSignal | undefined,
    });
    // Once true, the subgraph may have the operation: no retry from then on.
    let bodySent = false;
    let continueTimer: NodeJS.Timeout | undefined;
    const sendBody = () => {
      if (bodySent) return;
      bodySent = true;
      clearTimeout(continueTimer);
      request.end(body);
    };

    request.once('socket', () => {
      // reusedSocket is set by the time 'socket' fires, and nothing has been written yet.
      if (!request.reusedSocket || !body) return sendBody();
      request.setHeader('expect', '100-continue');
      request.flushHeaders();
      request.once('continue', sendBody);
      // A server or proxy that never answers 100 gets the body after a while (RFC 9110 §10.1.1).
      continueTimer = setTimeout(sendBody, continueTimeoutMs);
    });
    request.once('response', (res) => {
      // A final answer without 100 Continue: send the body anyway, which keeps the connection's
      // framing intact; the server discards what it does not read.
      sendBody();
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error) => resolve({ ok: false, error, retryable: false }));
      res.once('end', () => resolve({ ok: true, response: toResponse(res, Buffer.concat(chunks), target) }));
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(continueTimer);
      const retryable = !bodySent && request.reusedSocket && CONNECTION_CLOSED.has(error.code);
      resolve({ ok: false, error, retryable });
    });
  });
}

function toResponse(res: http.IncomingMessage, body: Buffer, target: URL): Response {
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    headers.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
  }
  const status = res.statusCode ?? 502;
  const response = new Response([204, 205, 304].includes(status) ? null : new Uint8Array(body), {
    status,
    statusText: res.statusMessage ?? '',
    headers,
  });
  // RemoteGraphQLDataSource names the URL in the errors it builds from a failed response.
  Object.defineProperty(response, 'url', { value: target.toString() });
  return response;
}

function headerOf(init: FetcherInit, name: string): string | undefined {
  const entry = Object.entries(init.headers ?? {}).find(([key]) => key.toLowerCase() === name);
  return entry?.[1];
}
