import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gql } from 'graphql-tag';
import { createGroupLoader, startService, type RunningService, type ServiceConfig } from '@concierge/kit';
import { delegationModel, DelegationRepository } from './data/delegation.model';
import { resolvers, type DelegationContext } from './resolvers';

export const typeDefs = gql(readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8'));

/** Starts the delegation subgraph (deputies; scoped admin roles and API tokens build on it). */
export async function startServer(config: ServiceConfig): Promise<RunningService> {
  return startService<DelegationContext>(
    {
      name: 'delegation',
      typeDefs,
      resolvers,
      init: async (runtime) => {
        await delegationModel(runtime.db).init();
      },
      context: (base, runtime) => {
        const delegations = new DelegationRepository(delegationModel(runtime.db));
        return {
          ...base,
          delegationsByDelegator: createGroupLoader(
            (ids) => delegations.byDelegators(ids),
            (d) => d.delegatorId,
          ),
        };
      },
    },
    config,
  );
}
