import { readFileSync } from 'node:fs';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import {
  ApolloGateway,
  RemoteGraphQLDataSource,
  type GraphQLDataSourceProcessOptions,
} from '@apollo/gateway';
import {
  createErrorFormatter,
  createKafka,
  createLogger,
  signPrincipal,
  startHttpServer,
  subgraphKey,
  type Logger,
  type Principal,
  type RunningServer,
} from '@concierge/kit';
import { AddressThrottle } from './address-throttle';
import { createAuthenticator } from './authenticate';
import { createExternalAuthenticator, ExternalIdentityCheck, withExternalIssuer } from './external-idp';
import { RevocationFeed } from './revocation-feed';
import { AdminGrants } from './admin-grants';
import { ApiTokens, withApiTokens } from './api-tokens';
import { SessionCheck } from './session-check';
import { createSubgraphFetcher, type SubgraphFetcher } from './subgraph-fetch';
import { checkOperationLimits, type OperationLimits } from './operation-limits';
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
    fetcher: SubgraphFetcher,
  ) {
    super({ url, fetcher });
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

/**
 * Refuses an operation over the limits after validation, before the gateway plans it, and
 * throttles sign-in and credential mutations per client address.
 */
function operationLimitsPlugin(
  limits: OperationLimits,
  throttle: AddressThrottle,
): ApolloServerPlugin<GatewayContext> {
  return {
    requestDidStart: async () => ({
      didResolveOperation: async ({ document, request, schema, contextValue }) => {
        const { credentialMutations } = checkOperationLimits(
          document,
          request.operationName,
          request.variables,
          schema,
          limits,
        );
        if (credentialMutations > 0) throttle.take(contextValue.clientAddress);
      },
    }),
  };
}

export interface RunningGateway extends RunningServer {
  logger: Logger;
  feedStarted: Promise<void>;
}

/** Starts the gateway on the composed supergraph. */
export async function startGateway(config: GatewayConfig): Promise<RunningGateway> {
  const logger = createLogger('gateway', config.logLevel);
  const fetcher = createSubgraphFetcher({ logger: logger.child({ component: 'subgraph-fetch' }) });
  const gateway = new ApolloGateway({
    supergraphSdl: readFileSync(config.supergraphPath, 'utf8'),
    buildService: ({ name, url }) =>
      new SignedDataSource(config.subgraphUrls[name] ?? url ?? '', name, config.signingSecret, fetcher),
    logger,
  });
  const apollo = new ApolloServer<GatewayContext>({
    gateway,
    formatError: createErrorFormatter(logger),
    includeStacktraceInErrorResponses: false,
    introspection: config.introspection,
    // Validation errors name no field or type the caller did not write ("Did you mean ...").
    hideSchemaDetailsFromClientErrors: !config.introspection,
    parseOptions: config.hardening ? { maxTokens: config.maxTokens } : {},
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      ...(config.hardening
        ? [operationLimitsPlugin(config.limits, new AddressThrottle(config.throttle))]
        : []),
    ],
  });
  await apollo.start();
  // The per-request answers the gateway caches, from the users and delegation services alike.
  const cached = { ttlMs: config.sessionCacheMs, staleMs: config.jwksGraceMs };
  const users = {
    usersUrl: config.subgraphUrls.users ?? '',
    usersKey: subgraphKey(config.signingSecret, 'users'),
  };
  const delegation = {
    delegationUrl: config.subgraphUrls.delegation ?? '',
    delegationKey: subgraphKey(config.signingSecret, 'delegation'),
  };
  const sessions = new SessionCheck({
    ...users,
    ...cached,
    logger: logger.child({ component: 'session-check' }),
  });
  const adminGrants = new AdminGrants({
    ...delegation,
    ...cached,
    logger: logger.child({ component: 'admin-grants' }),
  });
  const externalIdentities = config.externalIdp
    ? new ExternalIdentityCheck(config.externalIdp, {
        ...users,
        ...cached,
        logger: logger.child({ component: 'external-idp' }),
      })
    : null;
  const apiTokens = new ApiTokens({
    ...delegation,
    ...cached,
    logger: logger.child({ component: 'api-tokens' }),
    creator: (userId) => currentPrincipal(userId, null),
  });
  const feed = new RevocationFeed(
    createKafka('concierge-gateway', config.kafkaBrokers, logger, config.kafkaSecurity),
    (id) => {
      sessions.evict(id);
      adminGrants.evict(id);
      apiTokens.evict(id);
    },
    logger.child({ component: 'revocation-feed' }),
  );
  // The gateway serves while the broker is away: the cache's lifetime still bounds revocation.
  const feedStarted = feed
    .start()
    .catch((err: unknown) =>
      logger.error({ err }, 'revocation feed not running; cache lifetime bounds revocation'),
    );
  /** The roles and admin grants the stores hold now, not those a token was issued with. */
  const currentPrincipal = async (userId: string, sid: string | null): Promise<Principal> => {
    const [state, grants] = await Promise.all([
      sessions.stateFor(userId, sid),
      config.adminGrants ? adminGrants.of(userId) : [],
    ]);
    return { kind: 'user', userId, roles: state.roles, ...(grants.length > 0 ? { grants } : {}) };
  };
  const authenticateLocal = createAuthenticator(config.jwksUrl, config.tokenIssuer, {
    graceMs: config.jwksGraceMs,
    ...(config.hardening ? { resolve: currentPrincipal } : {}),
  });
  // Off unless configured: then a token claiming the external issuer goes to its own verifier.
  const authenticate =
    config.externalIdp && externalIdentities
      ? withExternalIssuer(
          authenticateLocal,
          config.externalIdp.issuer,
          createExternalAuthenticator(config.externalIdp, externalIdentities, {
            graceMs: config.jwksGraceMs,
            // An external token has no sign-in here: it stands while its user is ACTIVE.
            resolve: (userId) => currentPrincipal(userId, null),
          }),
        )
      : authenticateLocal;
  const authenticateAny = withApiTokens(authenticate, apiTokens);
  const http = await startHttpServer<GatewayContext>({
    port: config.port,
    host: '127.0.0.1',
    logger,
    apollo,
    ready: async () => true,
    context: async ({ req, correlationId, logger: requestLogger }) => ({
      principal: await authenticateAny(req),
      clientAddress: req.socket.remoteAddress ?? null,
      correlationId,
      logger: requestLogger,
    }),
  });
  logger.info({ url: http.url }, 'gateway ready');
  return {
    ...http,
    logger,
    /** Resolves once the revocation feed has joined the broker (or failed to). */
    feedStarted,
    stop: async () => {
      await http.stop();
      await apollo.stop();
      await feed.stop();
      fetcher.close();
    },
  };
}
