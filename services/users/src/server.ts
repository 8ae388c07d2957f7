import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gql } from 'graphql-tag';
import {
  combineHandlers,
  DueSweeper,
  every,
  startService,
  type RunningService,
  type ServiceDefinition,
} from '@concierge/kit';
import { SigningKeys } from './auth/signing-keys';
import type { UsersConfig } from './config';
import { auditHandlers } from './audit/audit.consumer';
import { createContext, type UsersContext } from './context';
import { createCredentialRuntime, type CredentialRuntime } from './credentials/runtime';
import { auditModel } from './data/audit.model';
import { AuditRepository } from './data/audit.repository';
import { initCredentialModels } from './data/credential.repository';
import { initImportJobModels } from './data/import-job.model';
import { organizationModel } from './data/organization.model';
import { OrganizationRepository } from './data/organization.repository';
import { userModel } from './data/user.model';
import { UserRepository } from './data/user.repository';
import { runDueTransitions } from './domain/run-due-transitions';
import { hrFeedHandlers } from './hr-feed/hr-feed.consumer';
import { resolvers } from './resolvers';

export const typeDefs = gql(readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8'));

/** Starts the users subgraph (port 0 picks a free port). */
export async function startServer(config: UsersConfig): Promise<RunningService> {
  let keys: SigningKeys | null = null;
  let credentials: CredentialRuntime | null = null;
  const definition: ServiceDefinition<UsersContext> = {
    name: 'users',
    typeDefs,
    resolvers,
    outboxCollections: ['users', 'organizations', 'credentials', 'import_jobs'],
    init: async (runtime) => {
      await userModel(runtime.db).init();
      const users = new UserRepository(userModel(runtime.db));
      const listed = await users.fillMissingListing();
      if (listed > 0) runtime.logger.info({ listed }, 'listing fields given to users written before them');
      const marked = await users.fillMissingImportMarks();
      if (marked > 0) runtime.logger.info({ marked }, 'import marks given to users written before them');
      await organizationModel(runtime.db).init();
      await auditModel(runtime.db).init();
      keys = new SigningKeys(runtime.db);
      await keys.current();
      await initCredentialModels(runtime.db);
      await initImportJobModels(runtime.db);
      credentials = createCredentialRuntime(
        runtime.db,
        {
          setPasswordTtlMs: config.setPasswordTtlMs,
          refreshTokenTtlMs: config.refreshTokenTtlMs,
          lockout: { maxAttempts: config.lockoutAttempts, lockMs: config.lockoutMs },
          sealKey: config.sealKey,
        },
        keys,
        { issuer: config.tokenIssuer, ttlS: config.accessTokenTtlS },
      );
    },
    background: (runtime) => {
      const users = new UserRepository(userModel(runtime.db));
      const logger = runtime.logger.child({ component: 'lifecycle-scheduler' });
      const sweeper = new DueSweeper({
        name: 'users.lifecycle',
        db: runtime.db,
        onFirstSweep: async () => {
          const filled = await users.fillMissingDueBuckets();
          if (filled > 0) logger.info({ filled }, 'due buckets given to users written before them');
        },
      });
      return every(
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
    },
    // The audit trail records every event of the catalogue; more handlers join with combineHandlers.
    handlers: (runtime) =>
      combineHandlers(
        auditHandlers(runtime.contracts, new AuditRepository(auditModel(runtime.db))),
        hrFeedHandlers({
          users: new UserRepository(userModel(runtime.db)),
          orgs: new OrganizationRepository(organizationModel(runtime.db)),
          contracts: runtime.contracts,
          credentialEffects: (credentials as CredentialRuntime).effects,
          afterWrite: () => runtime.relay.kick(),
        }),
      ),
    routes: () => ({ '/.well-known/jwks.json': () => (keys as SigningKeys).jwks() }),
    context: (base, runtime) => createContext(base, runtime, credentials as CredentialRuntime),
  };
  return startService(definition, config);
}
