import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gql } from 'graphql-tag';
import { startService, type RunningService, type ServiceConfig } from '@concierge/kit';
import { createContext } from './context';
import { notificationModel } from './data/notification.model';
import { NotificationRepository } from './data/notification.repository';
import { onUserCreated } from './events/user-created.consumer';
import { resolvers } from './resolvers';

export const typeDefs = gql(readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8'));

/** Starts the notifications subgraph and its consumer. */
export async function startServer(config: ServiceConfig): Promise<RunningService> {
  return startService(
    {
      name: 'notifications',
      typeDefs,
      resolvers,
      init: async (runtime) => {
        await notificationModel(runtime.db).init();
      },
      handlers: (runtime) => ({
        'user.created': onUserCreated(new NotificationRepository(notificationModel(runtime.db))),
      }),
      context: createContext,
    },
    config,
  );
}
