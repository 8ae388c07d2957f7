import { gql } from 'graphql-tag';
import {
  combineHandlers,
  DueSweeper,
  every,
  EXTERNAL_IDENTITY_PATH,
  HttpError,
  SESSION_STATE_PATH,
  startService,
  type RunningService,
  type ServiceDefinition,
} from '@concierge/kit';
import { DEFAULT_SIGNING_KEY_ROTATION_DAYS, type UsersConfig } from './config';
import { auditHandlers } from './audit/audit.consumer';
import { createContext, type UsersContext } from './context';
import { createCredentialRuntime, type CredentialRuntime } from './credentials/runtime';
import { auditModel } from './audit/audit.model';
import { initCredentialModels } from './credentials/credential.repository';
import { initImportJobModels } from './import/import-job.model';
import { organizationModel } from './organizations/organization.model';
import { userModel } from './directory/user.model';
import { createStores, type UsersStores } from './stores';
import { rotateSigningKeysOnSchedule } from './credentials/signing-keys';
import { sessionState } from './credentials/session-state';
import { externalIdentityRoute } from './external-idp/external-identity.route';
import { runDueTransitions } from './lifecycle/run-due-transitions';
import { hrFeedHandlers } from './hr-feed/hr-feed.consumer';
import { resolvers } from './resolvers';
import { usersSdl } from './schema';

export const typeDefs = gql(usersSdl());

/** Starts the users subgraph (port 0 picks a free port). */
export async function startServer(config: UsersConfig): Promise<RunningService> {
  let stores: UsersStores | null = null;
  let credentials: CredentialRuntime | null = null;
  const built = () => stores as UsersStores;
  const definition: ServiceDefinition<UsersContext> = {
    name: 'users',
    typeDefs,
    resolvers,
    outboxCollections: ['users', 'organizations', 'credentials', 'import_jobs'],
    init: async (runtime) => {
      await userModel(runtime.db).init();
      stores = createStores(runtime.db, { sealKey: config.sealKey });
      const { users, keys } = stores;
      const listed = await users.fillMissingListing();
      if (listed > 0) runtime.logger.info({ listed }, 'listing fields given to users written before them');
      const marked = await users.fillMissingImportMarks();
      if (marked > 0) runtime.logger.info({ marked }, 'import marks given to users written before them');
      await organizationModel(runtime.db).init();
      await auditModel(runtime.db).init();
      await keys.current();
      await initCredentialModels(runtime.db);
      await initImportJobModels(runtime.db);
      credentials = createCredentialRuntime(
        stores.credentials,
        {
          setPasswordTtlMs: config.setPasswordTtlMs,
          refreshTokenTtlMs: config.refreshTokenTtlMs,
          lockout: {
            maxAttempts: config.lockoutAttempts,
            lockMs: config.lockoutMs,
            ...(config.lockoutAccountAttempts ? { accountMaxAttempts: config.lockoutAccountAttempts } : {}),
          },
          sealKey: config.sealKey,
        },
        keys,
        { issuer: config.tokenIssuer, ttlS: config.accessTokenTtlS },
      );
    },
    background: (runtime) => {
      const { users } = built();
      const logger = runtime.logger.child({ component: 'lifecycle-scheduler' });
      const sweeper = new DueSweeper({
        name: 'users.lifecycle',
        db: runtime.db,
        onFirstSweep: async () => {
          const filled = await users.fillMissingDueBuckets();
          if (filled > 0) logger.info({ filled }, 'due buckets given to users written before them');
        },
      });
      const lifecycle = every(
        config.schedulerIntervalMs,
        async () => {
          const fired = await runDueTransitions(new Date(), {
            users,
            contracts: runtime.contracts,
            logger,
            sweeper,
            credentialEffects: (credentials as CredentialRuntime).effects,
          });
          if (fired > 0) {
            logger.info({ fired }, 'due lifecycle transitions fired');
            runtime.relay.kick();
          }
        },
        logger,
      );
      const keyRotation = rotateSigningKeysOnSchedule(
        built().keys,
        config.signingKeyRotationDays ?? DEFAULT_SIGNING_KEY_ROTATION_DAYS,
        runtime.logger.child({ component: 'signing-keys' }),
      );
      return {
        stop: async () => {
          await Promise.all([lifecycle.stop(), keyRotation.stop()]);
        },
      };
    },
    // The audit trail records every event of the catalogue; more handlers join with combineHandlers.
    handlers: (runtime) =>
      combineHandlers(
        auditHandlers(runtime.contracts, built().audit),
        hrFeedHandlers({
          users: built().users,
          orgs: built().orgs,
          contracts: runtime.contracts,
          credentialEffects: (credentials as CredentialRuntime).effects,
          afterWrite: () => runtime.relay.kick(),
        }),
      ),
    routes: () => ({ '/.well-known/jwks.json': () => built().keys.jwks() }),
    // The gateway asks, per user and sign-in, whether a token still stands and with which roles.
    internalRoutes: (runtime) => ({
      [SESSION_STATE_PATH]: async (params) => {
        const userId = params.get('user') ?? '';
        if (userId === '') throw new HttpError(400, 'user is required', 'BAD_REQUEST');
        const stores = built();
        return sessionState(userId, params.get('sid') || null, {
          users: stores.users,
          credentials: stores.credentials.credentials,
          refreshTokens: stores.credentials.refreshTokens,
        });
      },
      // The gateway asks which local user a token of the external OpenID Connect provider stands for.
      [EXTERNAL_IDENTITY_PATH]: externalIdentityRoute(built, runtime, () => runtime.relay.kick()),
    }),
    context: (base, runtime) => createContext(base, runtime, built(), credentials as CredentialRuntime),
  };
  return startService(definition, config);
}
