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
  type Logger,
  type Principal,
  type RunningServer,
} from '@concierge/kit';
import { createAuthenticator } from './authenticate';
import type { GatewayConfig } from './config';

export interface GatewayContext {
  principal: Principal;
  correlationId: string;
  logger: Logger;
}

/** Forwards the caller to a subgraph as a signed principal, with the correlation id. */
class SignedDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    url: string,
    private readonly secret: string,
  ) {
    super({ url });
  }

  override willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): void {
    const headers = request.http?.headers;
    if (!headers || !('principal' in context)) return;
    for (const [name, value] of Object.entries(signPrincipal(context.principal, this.secret))) {
      headers.set(name, value);
    }
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
      new SignedDataSource(config.subgraphUrls[name] ?? url ?? '', config.signingSecret),
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
