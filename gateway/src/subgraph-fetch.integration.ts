import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RemoteGraphQLDataSource } from '@apollo/gateway';
import { createLogger } from '@concierge/kit';
import { createSubgraphFetcher, type SubgraphFetcher } from './subgraph-fetch';

type Fetcher = RemoteGraphQLDataSource['fetcher'];

/**
 * What a subgraph does with the connection after it has answered, or once it has read a call:
 * `keep` keeps it alive; `close-after-answer` closes it right after the answer, so the next call
 * on the kept-alive socket meets a connection the server has already closed (the keep-alive race,
 * made certain); `drop-after-read` reads and executes the call, then drops the connection unanswered;
 * `unavailable` answers 503.
 */
type Behaviour = 'keep' | 'close-after-answer' | 'drop-after-read' | 'unavailable';

/** A real node:http server that counts the calls it executed, by the `id` in their body. */
async function subgraph() {
  const executed = new Map<string, number>();
  let behaviour: Behaviour = 'keep';
  let connections = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const body = JSON.parse(text) as { id?: string; variables?: { id?: string } };
      const id = body.id ?? body.variables?.id ?? '';
      executed.set(id, (executed.get(id) ?? 0) + 1);
      if (behaviour === 'drop-after-read') {
        req.socket.destroy();
        return;
      }
      res.setHeader('content-type', 'application/json');
      if (behaviour === 'unavailable') res.statusCode = 503;
      const answer = behaviour === 'unavailable' ? { errors: [{ message: 'busy' }] } : { data: { id } };
      res.end(JSON.stringify(answer), () => {
        if (behaviour === 'close-after-answer') req.socket.destroy();
      });
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    executed: (id: string) => executed.get(id) ?? 0,
    connections: () => connections,
    behave: (next: Behaviour) => (behaviour = next),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A subgraph call as RemoteGraphQLDataSource makes it. */
const call = (id: string) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', 'x-correlation-id': `corr-${id}` },
  body: JSON.stringify({ query: '{ __typename }', id }),
});

/** Two calls back to back on one kept-alive connection; the server closes it after the first answer. */
async function callAfterServerClosedIdle(fetcher: Fetcher, server: Awaited<ReturnType<typeof subgraph>>) {
  server.behave('close-after-answer');
  const first = await fetcher(server.url, call('first'));
  // Sent at once, on the pooled socket, before this process has read the server's close.
  const second = fetcher(server.url, call('second'));
  await first.json();
  return second;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the gateway fetcher for subgraph calls', () => {
  let server: Awaited<ReturnType<typeof subgraph>>;
  let fetcher: SubgraphFetcher;
  let warnings: unknown[];
  beforeEach(async () => {
    server = await subgraph();
    warnings = [];
    const logger = createLogger('gateway', 'silent');
    logger.warn = ((obj: unknown) => warnings.push(obj)) as typeof logger.warn;
    fetcher = createSubgraphFetcher({ logger });
  });
  afterEach(async () => {
    fetcher.close();
    await server.close();
  });

  it('when the subgraph closed a kept-alive connection just as the next call goes out, then the default Apollo fetcher fails with socket hang up', async () => {
    const apolloDefault = new RemoteGraphQLDataSource({ url: server.url }).fetcher;
    await expect(callAfterServerClosedIdle(apolloDefault, server)).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
    expect(server.executed('second')).toBe(0);
  });

  it('when the subgraph closed a kept-alive connection just as the next call goes out, then the call is retried on a new connection and executed exactly once', async () => {
    const res = await callAfterServerClosedIdle(fetcher, server);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { id: 'second' } });
    expect(server.executed('first')).toBe(1);
    expect(server.executed('second')).toBe(1);
    expect(server.connections()).toBe(2);
    expect(warnings).toEqual([
      expect.objectContaining({
        correlationId: 'corr-second',
        code: expect.stringMatching(/^(ECONNRESET|EPIPE)$/),
      }),
    ]);
  });

  it('when the subgraph received a call on a kept-alive connection and then dropped the connection, then the call is not retried and the caller gets the error', async () => {
    await (await fetcher(server.url, call('warm-up'))).json();
    server.behave('drop-after-read');
    await expect(fetcher(server.url, call('dropped'))).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(server.executed('dropped')).toBe(1);
    expect(server.connections()).toBe(1);
    expect(warnings).toEqual([]);
  });

  it('when the subgraph drops a call on a new connection, then it is not retried either', async () => {
    server.behave('drop-after-read');
    await expect(fetcher(server.url, call('fresh'))).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(server.executed('fresh')).toBe(1);
  });

  it('keeps one connection for calls in sequence, and each call is executed once', async () => {
    for (const id of ['a', 'b', 'c', 'd']) {
      const res = await fetcher(server.url, call(id));
      expect(await res.json()).toEqual({ data: { id } });
      expect(server.executed(id)).toBe(1);
    }
    expect(server.connections()).toBe(1);
  });

  it('drops a connection idle longer than its idle timeout, so the next call opens a new one', async () => {
    fetcher.close();
    fetcher = createSubgraphFetcher({ idleTimeoutMs: 100 });
    await (await fetcher(server.url, call('before'))).json();
    await sleep(300);
    await (await fetcher(server.url, call('after'))).json();
    expect(server.connections()).toBe(2);
    expect(server.executed('after')).toBe(1);
  });

  it('when RemoteGraphQLDataSource calls through it, then each call is executed once and its answer comes back as data', async () => {
    const source = new RemoteGraphQLDataSource({ url: server.url, fetcher });
    const process = (id: string) =>
      // A health check needs no incoming request; its kind enum is not exported, hence the string.
      source.process({
        kind: 'health check',
        request: { query: 'query($id: ID) { __typename }', variables: { id } },
        context: {},
      } as Parameters<RemoteGraphQLDataSource['process']>[0]);
    server.behave('close-after-answer');
    const first = await process('ds-first');
    const second = await process('ds-second');
    expect([first.data, second.data]).toEqual([{ id: 'ds-first' }, { id: 'ds-second' }]);
    expect(server.executed('ds-second')).toBe(1);
  });

  it('hands an error answer to the data source with its status, headers, body and URL', async () => {
    server.behave('unavailable');
    const res = await fetcher(server.url, call('busy'));
    expect(res).toMatchObject({ ok: false, status: 503, statusText: 'Service Unavailable', url: server.url });
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ errors: [{ message: 'busy' }] });
  });

  it('when nothing listens, then the caller gets the connection error at once', async () => {
    await server.close();
    await expect(fetcher(server.url, call('nobody'))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(warnings).toEqual([]);
  });
});
