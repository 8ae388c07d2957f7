import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gql } from 'graphql-tag';
import { createLoader, startService, type RunningService, type ServiceConfig } from '@concierge/kit';
import { applicationModel, ApplicationRepository } from './data/application.model';
import { resolvers, type AccessRequestsContext } from './resolvers';

export const typeDefs = gql(readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8'));

/** Starts the access-requests subgraph (application catalogue; requests and grants build on it). */
export async function startServer(config: ServiceConfig): Promise<RunningService> {
  return startService<AccessRequestsContext>(
    {
      name: 'access-requests',
      typeDefs,
      resolvers,
      init: async (runtime) => {
        await applicationModel(runtime.db).init();
      },
      context: (base, runtime) => {
        const applications = new ApplicationRepository(applicationModel(runtime.db));
        return {
          ...base,
          applications,
          applicationById: createLoader(
            (ids) => applications.findByIds(ids),
            (a) => a._id,
          ),
        };
      },
    },
    config,
  );
}
