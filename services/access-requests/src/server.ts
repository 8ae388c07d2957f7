import { gql } from 'graphql-tag';
import { combineHandlers, startService, type RunningService, type ServiceDefinition } from '@concierge/kit';
import { birthrightHandlers } from './birthright/birthright.consumer';
import { birthrightResolvers } from './birthright/resolvers';
import { catalogResolvers } from './catalog/resolvers';
import type { AccessRequestsConfig } from './config';
import { createContext, type AccessContext } from './context';
import { delegationHandlers } from './deputies/delegation-events.consumer';
import { directoryHandlers } from './directory/directory-events.consumer';
import { moverHandlers } from './lifecycle/mover.consumer';
import { terminationHandlers } from './lifecycle/termination.consumer';
import { grantResolvers } from './grants/resolvers';
import { policyResolvers } from './policies/resolvers';
import { requestResolvers } from './requests/resolvers';
import { startScheduler } from './scheduler';
import { accessRequestsSdl } from './schema';
import { createStores, initStores, OUTBOX_COLLECTIONS, type AccessStores } from './stores';

export const typeDefs = gql(accessRequestsSdl());

/** Every component's resolvers, merged by type. */
function mergeResolvers(
  ...maps: Record<string, Record<string, unknown>>[]
): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const map of maps)
    for (const [type, fields] of Object.entries(map)) out[type] = { ...out[type], ...fields };
  return out;
}

export const resolvers = mergeResolvers(
  catalogResolvers,
  policyResolvers,
  requestResolvers,
  grantResolvers,
  birthrightResolvers,
  {
    User: { __resolveReference: (reference: { id: string }) => ({ id: reference.id }) },
  },
);

/**
 * Starts the access-requests subgraph: the catalogue, approval policies, requests and their
 * approval, grants, birthright rules; the projections of users and delegations it routes
 * approvals with; and the scheduler of reminders, escalations and grant dates.
 */
export async function startServer(config: AccessRequestsConfig): Promise<RunningService> {
  let stores: AccessStores | null = null;
  const built = () => stores as AccessStores;
  const definition: ServiceDefinition<AccessContext> = {
    name: 'access-requests',
    typeDefs,
    resolvers: resolvers as ServiceDefinition<AccessContext>['resolvers'],
    outboxCollections: OUTBOX_COLLECTIONS,
    init: async (runtime) => {
      stores = createStores(runtime.db, {
        contracts: runtime.contracts,
        logger: runtime.logger,
        onCommitted: () => runtime.relay.kick(),
      });
      await initStores(runtime.db, stores);
    },
    background: (runtime) => startScheduler(runtime, built(), config.schedulerIntervalMs),
    // The projections take an event in before what reacts to it (birthright, termination) runs.
    handlers: (runtime) => {
      const s = built();
      const logger = runtime.logger.child({ component: 'reactions' });
      const kick = () => runtime.relay.kick();
      return combineHandlers(
        directoryHandlers(s.directory),
        delegationHandlers(s.deputies),
        birthrightHandlers({ contracts: runtime.contracts, ...s, logger, onChange: kick }),
        terminationHandlers({ contracts: runtime.contracts, stores: s, logger, onChange: kick }),
        moverHandlers({ contracts: runtime.contracts, stores: s, logger, onChange: kick }),
      );
    },
    context: (base, runtime) => createContext(base, runtime, built()),
  };
  return startService(definition, config);
}
