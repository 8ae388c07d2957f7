import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gql } from 'graphql-tag';
import { startService, type RunningService } from '@concierge/kit';
import type { NotificationsConfig } from './config';
import { createContext } from './context';
import { notificationModel } from './data/notification.model';
import { NotificationRepository } from './data/notification.repository';
import { onSetPasswordIssued } from './events/set-password-issued.consumer';
import { onUserCreated } from './events/user-created.consumer';
import { resolvers } from './resolvers';

export const typeDefs = gql(readFileSync(join(__dirname, '..', 'schema.graphql'), 'utf8'));

/** Starts the notifications subgraph and its consumer. */
export async function startServer(config: NotificationsConfig): Promise<RunningService> {
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
        'credential.set-password-issued': onSetPasswordIssued(
          new NotificationRepository(notificationModel(runtime.db)),
          config.sealKey,
        ),
      }),
      context: createContext,
    },
    config,
  );
}
