import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import DataLoader from 'dataloader';
import { gql } from 'graphql-tag';
import { startService, type RunningService, type ServiceConfig } from '@concierge/kit';
import { delegationModel, DelegationRepository, type DelegationRecord } from './data/delegation.model';
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
          delegationsByDelegator: new DataLoader<string, DelegationRecord[]>(async (ids) => {
            const rows = await delegations.byDelegators(ids);
            return ids.map((id) => rows.filter((d) => d.delegatorId === id));
          }),
        };
      },
    },
    config,
  );
}
