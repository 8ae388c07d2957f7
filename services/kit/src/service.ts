import type { IncomingMessage } from 'node:http';
import { ApolloServer } from '@apollo/server';
import {
  ApolloServerPluginInlineTraceDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { DocumentNode } from 'graphql';
import type { Kafka } from 'kafkajs';
import type { Connection } from 'mongoose';
import { createErrorFormatter } from './errors';
import { EventConsumer, type EventHandler } from './events/consumer';
import { EventContracts } from './events/contracts';
import {
  CREATION_BATCHES,
  CREATION_OUTBOX,
  type CreationBatch,
  type CreationChunk,
} from './events/creation-outbox';
import { createKafka, ensureTopics, KafkaHealth } from './events/kafka';
import { OutboxRelay, type OutboxDocument } from './events/outbox';
import { EventPublisher } from './events/publisher';
import { headerValue, HttpError, startHttpServer, type RunningServer } from './http/graphql-http';
import { ConfigError, type ServiceConfigShape } from './config';
import { createLogger, type Logger } from './logger';
import { registerShutdown } from './shutdown';
import { connectMongo, mongoReady } from './mongo';
import {
  internalOperation,
  PRINCIPAL_HEADER,
  ReplayGuard,
  SIGNATURE_HEADER,
  verifyPrincipal,
  type Principal,
  type VerifiedCall,
} from './principal';

/** What every subgraph process is configured with (parsed by loadServiceConfig). */
export type ServiceConfig = ServiceConfigShape;

/** The connections a service's code works with. */
export interface ServiceRuntime {
  name: string;
  logger: Logger;
  db: Connection;
  kafka: Kafka;
  contracts: EventContracts;
  publisher: EventPublisher;
  relay: OutboxRelay;
}

/** Per-request context every subgraph context extends. */
export interface RequestContext {
  principal: Principal;
  /** The caller's address as the gateway saw it (throttling), or null. */
  clientAddress: string | null;
  correlationId: string;
  logger: Logger;
}

export interface ServiceDefinition<C extends RequestContext> {
  name: string;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<C>;
  /** Prepares models and indexes; returns what contexts and handlers need. */
  init?: (runtime: ServiceRuntime) => Promise<void>;
  /** Collections whose documents carry outbox events. */
  outboxCollections?: string[];
  /** Event handlers by type. */
  handlers?: (runtime: ServiceRuntime) => Record<string, EventHandler>;
  /** Background work (schedulers) started after init and stopped first on shutdown. */
  background?: (runtime: ServiceRuntime) => { stop: () => Promise<void> };
  /** Extra public GET routes (JSON), e.g. the JWKS of the users service. */
  routes?: (runtime: ServiceRuntime) => Record<string, () => Promise<unknown>>;
  /**
   * GET routes (JSON) only the gateway may call: signed like a GraphQL call, the operation being
   * `GET <path>?<query string>` (internalOperation).
   */
  internalRoutes?: (
    runtime: ServiceRuntime,
  ) => Record<string, (params: URLSearchParams, call: VerifiedCall) => Promise<unknown>>;
  /** Extends the base request context with loaders and repositories. */
  context: (base: RequestContext, runtime: ServiceRuntime) => C;
}

export interface RunningService extends RunningServer {
  runtime: ServiceRuntime;
  consumer: EventConsumer | null;
}

/**
 * Boots a subgraph: database, broker topics, outbox relay, consumers, then the HTTP server that
 * accepts only calls carrying a valid gateway signature. `stop()` stops intake first (HTTP,
 * consumer), flushes the outbox, then closes connections.
 */
export async function startService<C extends RequestContext>(
  definition: ServiceDefinition<C>,
  config: ServiceConfig,
): Promise<RunningService> {
  const logger = createLogger(definition.name, config.logLevel);
  const contracts = new EventContracts();
  const db = await connectMongo(config.mongoUri, config.mongoServer);
  const kafka = createKafka(
    `concierge-${definition.name}`,
    config.kafkaBrokers,
    logger,
    config.kafkaSecurity,
  );
  await ensureTopics(kafka, contracts);
  const publisher = new EventPublisher(kafka, contracts, logger.child({ component: 'publisher' }));
  const relay = new OutboxRelay({
    collections: (definition.outboxCollections ?? []).map((name) => db.collection<OutboxDocument>(name)),
    creations: db.collection<CreationChunk>(CREATION_OUTBOX),
    creationBatches: db.collection<CreationBatch>(CREATION_BATCHES),
    collectionOf: (name) => db.collection<OutboxDocument>(name),
    publisher,
    logger: logger.child({ component: 'outbox' }),
    pollMs: config.outboxPollMs,
  });
  const kafkaHealth = new KafkaHealth(
    `concierge-${definition.name}`,
    config.kafkaBrokers,
    config.kafkaSecurity,
  );
  const runtime: ServiceRuntime = { name: definition.name, logger, db, kafka, contracts, publisher, relay };
  await definition.init?.(runtime);
  relay.start();
  const background = definition.background?.(runtime);

  const handlers = definition.handlers?.(runtime) ?? {};
  const consumer =
    Object.keys(handlers).length > 0
      ? new EventConsumer({
          kafka,
          contracts,
          publisher,
          db,
          groupId: config.groupId ?? `concierge.${definition.name}`,
          handlers,
          logger,
        })
      : null;
  await consumer?.start();

  const apollo = new ApolloServer<C>({
    schema: buildSubgraphSchema({
      typeDefs: definition.typeDefs,
      resolvers: definition.resolvers as GraphQLResolverMap<unknown>,
    }),
    formatError: createErrorFormatter(logger),
    includeStacktraceInErrorResponses: false,
    // The gateway composes from the supergraph file; a subgraph describes itself to nobody.
    introspection: false,
    hideSchemaDetailsFromClientErrors: true,
    plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginInlineTraceDisabled()],
  });
  await apollo.start();
  const replays = new ReplayGuard();
  const http = await startHttpServer<C>({
    name: definition.name,
    port: config.port,
    logger,
    apollo,
    routes: {
      ...definition.routes?.(runtime),
      ...signedRoutes(
        definition.name,
        definition.internalRoutes?.(runtime) ?? {},
        config.principalKey,
        replays,
      ),
    },
    // Ready: the database answers, the broker answers, and the consumer (if any) is in its group.
    ready: async () =>
      (await mongoReady(db)) && (await kafkaHealth.check()) && (consumer ? consumer.ready : true),
    context: async ({ req, correlationId, logger: requestLogger, operation }) => {
      const call = verifyPrincipal(
        { payload: headerValue(req, PRINCIPAL_HEADER), signature: headerValue(req, SIGNATURE_HEADER) },
        config.principalKey,
        { subgraph: definition.name, ...operation },
        replays,
      );
      if (!call) throw new HttpError(401, 'Call this service through the gateway', 'UNAUTHENTICATED');
      return definition.context(
        {
          principal: call.principal,
          clientAddress: call.clientAddress,
          correlationId,
          logger: requestLogger,
        },
        runtime,
      );
    },
  });
  logger.info({ url: http.url }, `${definition.name} subgraph ready`);

  return {
    ...http,
    runtime,
    consumer,
    stop: async () => {
      await background?.stop();
      await http.stop();
      await consumer?.stop();
      await apollo.stop();
      await relay.stop();
      await relay
        .drain()
        .catch((err: unknown) => logger.warn({ err }, 'outbox not drained; it is kept for the next start'));
      await publisher.close();
      await kafkaHealth.close();
      await db.close();
    },
  };
}

/** Internal routes behind the gateway's signature: 401 without a valid one. */
function signedRoutes(
  subgraph: string,
  routes: Record<string, (params: URLSearchParams, call: VerifiedCall) => Promise<unknown>>,
  key: Buffer,
  replays: ReplayGuard,
): Record<string, (req: IncomingMessage, url: URL) => Promise<unknown>> {
  return Object.fromEntries(
    Object.entries(routes).map(([path, handle]) => [
      path,
      async (req: IncomingMessage, url: URL) => {
        const call = verifyPrincipal(
          { payload: headerValue(req, PRINCIPAL_HEADER), signature: headerValue(req, SIGNATURE_HEADER) },
          key,
          internalOperation(subgraph, path, url.searchParams),
          replays,
        );
        if (!call) throw new HttpError(401, 'Call this service through the gateway', 'UNAUTHENTICATED');
        return handle(url.searchParams, call);
      },
    ]),
  );
}

/** Process entry point of a service: boot, stop gracefully on SIGTERM/SIGINT, exit 1 on a failed start. */
export function runMain(name: string, boot: () => Promise<RunningService>): void {
  boot()
    .then((service) => {
      registerShutdown(service.runtime.logger, [{ name: `${name} service`, run: service.stop }]);
    })
    .catch((err: unknown) => {
      if (err instanceof ConfigError) console.error(err.message);
      else createLogger(name).fatal({ err }, `${name} service failed to start`);
      process.exit(1);
    });
}
