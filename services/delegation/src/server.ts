import { gql } from 'graphql-tag';
import {
  ADMIN_GRANTS_PATH,
  API_TOKEN_PATH,
  combineHandlers,
  DueSweeper,
  HttpError,
  every,
  startService,
  type RunningService,
  type ServiceConfig,
  type ServiceDefinition,
} from '@concierge/kit';
import { AdminRolesRepository } from './admin-roles/admin-roles.repository';
import { effectiveGrants } from './admin-roles/effective-grants';
import { ApiTokenRepository } from './api-tokens/api-tokens.repository';
import { checkToken } from './api-tokens/check-token';
import { fireDueTokens } from './api-tokens/token-timers';
import { DEFAULT_SCHEDULER_INTERVAL_MS, type DelegationConfig } from './config';
import { createContext, type DelegationContext } from './context';
import { DelegationRepository } from './deputies/delegation.repository';
import { expireDueDelegations } from './deputies/expire-delegations';
import { onUserTerminated } from './deputies/user-terminated.consumer';
import { applicationHandlers } from './directory/applications.repository';
import { directoryHandlers } from './directory/handlers';
import { organizationHandlers } from './directory/organization-events.consumer';
import { resolvers } from './resolvers';
import { delegationSdl } from './schema';
import { createStores, initStores, type DelegationStores } from './stores';

export const typeDefs = gql(delegationSdl());

/** How often versions whose writer died are applied; the store takes them over after 10 s. */
const HEAL_EVERY_MS = 15_000;

/** The settings startServer takes: a service config, and the scheduler interval if not the default. */
export type DelegationSettings = ServiceConfig & Partial<Pick<DelegationConfig, 'schedulerIntervalMs'>>;

/** Starts the delegation subgraph (deputies), its user projection and its expiry scheduler (port 0 picks a free port). */
export async function startServer(config: DelegationSettings): Promise<RunningService> {
  let stores: DelegationStores | null = null;
  const built = () => stores as DelegationStores;
  const definition: ServiceDefinition<DelegationContext> = {
    name: 'delegation',
    typeDefs,
    resolvers,
    // The delegations' version log carries the events of each committed change.
    outboxCollections: [
      DelegationRepository.outboxCollection,
      ...AdminRolesRepository.outboxCollections,
      ApiTokenRepository.outboxCollection,
    ],
    init: async (runtime) => {
      stores = createStores(runtime.db, {
        onCommitted: () => runtime.relay.kick(),
        logger: runtime.logger.child({ component: 'delegations' }),
      });
      await initStores(stores);
    },
    background: (runtime) => {
      const { delegations, adminRoles, tokens } = built();
      const logger = runtime.logger.child({ component: 'expiry-scheduler' });
      const sweeper = new DueSweeper({ name: 'delegation.expiry', db: runtime.db });
      const tokenSweeper = new DueSweeper({ name: 'api-token.timers', db: runtime.db });
      const expiry = every(
        config.schedulerIntervalMs ?? DEFAULT_SCHEDULER_INTERVAL_MS,
        async () => {
          const fired = await expireDueDelegations(new Date(), {
            delegations,
            contracts: runtime.contracts,
            sweeper,
          });
          if (fired > 0) logger.info({ fired }, 'delegations expired');
          const tokenTimers = await fireDueTokens(new Date(), {
            tokens,
            contracts: runtime.contracts,
            sweeper: tokenSweeper,
          });
          if (tokenTimers > 0) logger.info({ fired: tokenTimers }, 'token notices and expiries recorded');
        },
        logger,
      );
      const healLogger = runtime.logger.child({ component: 'heal' });
      const heal = every(
        HEAL_EVERY_MS,
        async () => {
          const healed = (await delegations.heal()) + (await adminRoles.heal()) + (await tokens.heal());
          if (healed > 0)
            healLogger.warn({ healed }, 'delegation versions left unapplied by their writer applied');
        },
        healLogger,
      );
      return { stop: () => Promise.all([expiry.stop(), heal.stop()]).then(() => undefined) };
    },
    // The projection records a termination before the leaver's delegations are ended (combineHandlers
    // runs them in this order), which createDelegation relies on.
    handlers: (runtime) =>
      combineHandlers(
        directoryHandlers(built().directory),
        organizationHandlers(built().organizations),
        applicationHandlers(built().applications),
        {
          'user.terminated': onUserTerminated({
            delegations: built().delegations,
            contracts: runtime.contracts,
          }),
        },
      ),
    // The gateway asks, per user, which admin grants to sign into the principal.
    internalRoutes: () => ({
      [ADMIN_GRANTS_PATH]: async (params) => {
        const userId = params.get('user') ?? '';
        if (userId === '') throw new HttpError(400, 'user is required', 'BAD_REQUEST');
        return effectiveGrants(userId, built().adminRoles);
      },
      [API_TOKEN_PATH]: async (params) => {
        const id = params.get('id') ?? '';
        const digest = params.get('digest') ?? '';
        if (id === '' || digest === '') throw new HttpError(400, 'id and digest are required', 'BAD_REQUEST');
        return checkToken(id, digest, built().tokens);
      },
    }),
    context: (base, runtime) => createContext(base, runtime, built()),
  };
  return startService(definition, config);
}
