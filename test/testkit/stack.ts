import { startServer as startAccessRequests } from '@concierge/access-requests';
import { startServer as startDelegation } from '@concierge/delegation';
import { loadConfig as loadGatewayConfig, startGateway } from '@concierge/gateway';
import type { RunningService } from '@concierge/kit';
import { startServer as startNotifications } from '@concierge/notifications';
import {
  issueAccessToken,
  SigningKeyRepository,
  SigningKeys,
  startServer as startUsers,
} from '@concierge/users';
import { join } from 'node:path';
import {
  BROKERS,
  dropDatabases,
  ROOT,
  SEAL_KEY,
  SECRET,
  serviceConfig,
  startAtEnd,
  usersConfig,
} from './index';

export const ISSUER = 'concierge-users';

/**
 * The four subgraphs and the gateway in this process, each subgraph on its own fresh database.
 * `usersMongoOptions` is appended to the users database URI (e.g. monitorCommands=true to count round trips).
 * `logLevel` is every service's and the gateway's (default: TEST_LOG_LEVEL, else silent).
 */
export async function startStack(
  options: {
    usersMongoOptions?: string;
    logLevel?: string;
    gateway?: Partial<ReturnType<typeof loadGatewayConfig>>;
  } = {},
) {
  const logLevel = options.logLevel ?? process.env.TEST_LOG_LEVEL ?? 'silent';
  const usersSettings = usersConfig({ logLevel });
  if (options.usersMongoOptions) usersSettings.mongoUri += `?${options.usersMongoOptions}`;
  const others = {
    accessRequests: { ...serviceConfig('access-requests', { logLevel }), schedulerIntervalMs: 500 },
    delegation: serviceConfig('delegation', { logLevel }),
    notifications: serviceConfig('notifications', { logLevel }),
  };
  // Every service handles only this stack's messages, not what earlier runs left on the broker.
  await Promise.all([usersSettings, ...Object.values(others)].map((c) => startAtEnd(c.groupId as string)));
  const users = await startUsers(usersSettings);
  const [accessRequests, delegation, notifications] = await Promise.all([
    startAccessRequests(others.accessRequests),
    startDelegation(others.delegation),
    startNotifications(others.notifications),
  ]);
  const services: RunningService[] = [users, accessRequests, delegation, notifications];
  const config: ReturnType<typeof loadGatewayConfig> = {
    // The defaults of every setting not named here (limits, throttling) are production's.
    ...loadGatewayConfig({ GATEWAY_SIGNING_SECRET: SECRET }),
    port: 0,
    signingSecret: SECRET,
    logLevel,
    supergraphPath: join(ROOT, 'schema', 'supergraph.graphql'),
    subgraphUrls: {
      users: users.url,
      'access-requests': accessRequests.url,
      delegation: delegation.url,
      notifications: notifications.url,
    },
    jwksUrl: users.url.replace('/graphql', '/.well-known/jwks.json'),
    tokenIssuer: ISSUER,
    // As in production: the default outside development.
    introspection: false,
    jwksGraceMs: 3_600_000,
    kafkaBrokers: BROKERS,
    ...options.gateway,
  };
  const gateway = await startGateway(config);
  await gateway.feedStarted;
  const keys = new SigningKeys(new SigningKeyRepository(users.runtime.db), { sealKey: SEAL_KEY });
  return {
    gateway,
    /** The gateway's configuration, to start another gateway on the same subgraphs. */
    gatewayConfig: config,
    users,
    /** The users service's signing keys, to sign tokens sign-in would never issue. */
    keys,
    accessRequests,
    delegation,
    notifications,
    /**
     * An access token signed by the users service, as sign-in would issue it (without a sign-in).
     * The gateway reads the user's status and roles from the store at use time, so a user of that
     * id is made ACTIVE with exactly these roles, created bare if the directory has none.
     */
    token: async (userId: string, roles: string[] = []) => {
      const db = users.runtime.db;
      const now = new Date();
      await db.collection<{ _id: string }>('users').updateOne(
        { _id: userId },
        {
          $setOnInsert: {
            email: `${userId}@stack.test`,
            displayName: userId,
            status: 'ACTIVE',
            createdAt: now,
            updatedAt: now,
          },
        },
        { upsert: true },
      );
      await db
        .collection<{ _id: string }>('credentials')
        .updateOne(
          { _id: userId },
          { $set: { globalRoles: roles }, $setOnInsert: { passwordHash: null, createdAt: now } },
          { upsert: true },
        );
      return issueAccessToken(keys, { userId, roles }, { issuer: ISSUER, ttlS: 300 });
    },
    stop: async () => {
      const names = services.map((s) => s.runtime.db.name);
      await gateway.stop();
      await Promise.all(services.map((s) => s.stop()));
      await dropDatabases(names);
    },
  };
}
