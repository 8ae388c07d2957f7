import { readFileSync } from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import {
  ApolloGateway,
  RemoteGraphQLDataSource,
  type GraphQLDataSourceProcessOptions,
} from '@apollo/gateway';
import {
  createErrorFormatter,
  createLogger,
  signPrincipal,
  startHttpServer,
  subgraphKey,
  type Logger,
  type Principal,
  type RunningServer,
} from '@concierge/kit';
import { createAuthenticator } from './authenticate';
import type { GatewayConfig } from './config';

export interface GatewayContext {
  principal: Principal;
  /** The caller's address, passed to subgraphs inside the signature (throttling). */
  clientAddress: string | null;
  correlationId: string;
  logger: Logger;
}

/**
 * Forwards the caller to a subgraph as a principal signed for that subgraph and that operation
 * (kit principal.ts), with the correlation id.
 */
class SignedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  private readonly key: Buffer;

  constructor(
    url: string,
    private readonly subgraph: string,
    secret: string,
  ) {
    super({ url });
    this.key = subgraphKey(secret, subgraph);
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http?.headers;
    if (!headers || !('principal' in context)) return;
    const op = {
      subgraph: this.subgraph,
      query: request.query ?? '',
      variables: request.variables,
      operationName: request.operationName ?? null,
    };
    const signed = signPrincipal(context.principal, this.key, op, { clientAddress: context.clientAddress });
    for (const [name, value] of Object.entries(signed)) headers.set(name, value);
    headers.set('x-correlation-id', context.correlationId);
  }
}

export interface RunningGateway extends RunningServer {
  logger: Logger;
}

/** Starts the gateway on the composed supergraph. */
export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const logger = createLogger('gateway', config.logLevel);
  const gateway = new ApolloGateway({
    supergraphSdl: readFileSync(config.supergraphPath, 'utf8'),
    buildService: ({ name, url }) =>
      new SignedDataSource(config.subgraphUrls[name] ?? url ?? '', name, config.signingSecret),
    logger,
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError: createErrorFormatter(logger),
    includeStacktraceInErrorResponses: false,
    introspection: config.introspection,
    // Validation errors name no field or type the caller did not write ("Did you mean ...").
    hideSchemaDetailsFromClientErrors: !config.introspection,
    plugins: [ApolloServerPluginLandingPageDisabled()],
  });
  await apollo.start();
  const authenticate = createAuthenticator(config.jwksUrl, config.tokenIssuer, {
    graceMs: config.jwksGraceMs,
  });
  const http = await startHttpServer<GatewayContext>({
    port: config.port,
    host: '127.0.0.1',
    logger,
    apollo,
    ready: async () => true,
    context: async ({ req, correlationId, logger: requestLogger }) => ({
      principal: await authenticate(req),
      clientAddress: req.socket.remoteAddress ?? null,
      correlationId,
      logger: requestLogger,
    }),
  });
  logger.info({ url: http.url }, 'gateway ready');
  return {
    ...http,
    logger,
    stop: async () => {
      await http.stop();
      await apollo.stop();
    },
  };
}
