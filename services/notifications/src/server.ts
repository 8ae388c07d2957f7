import { gql } from 'graphql-tag';
import { startService, type RunningService } from '@concierge/kit';
import type { NotificationsConfig } from './config';
import { createContext, type NotificationsContext } from './context';
import { inboxHandlers } from './inbox/handlers';
import { resolvers } from './resolvers';
import { notificationsSdl } from './schema';
import { createStores, type NotificationsStores } from './stores';

export const typeDefs = gql(notificationsSdl());

/** Starts the notifications subgraph and its consumer. */
export async function startServer(config: NotificationsConfig): Promise<RunningService> {
  let stores: NotificationsStores | null = null;
  const built = (): NotificationsStores => {
    if (!stores) throw new Error('the notifications stores are used before init');
    return stores;
  };
  return startService<NotificationsContext>(
    {
      name: 'notifications',
      typeDefs,
      resolvers,
      init: async (runtime) => {
        stores = createStores(runtime.db);
        const rekeyed = await stores.notifications.prepare();
        if (rekeyed > 0) runtime.logger.info({ rekeyed }, 'notifications given their per-recipient id');
        await stores.delegations.prepare();
      },
      handlers: () => inboxHandlers(built(), config.sealKey),
      context: (base) => createContext(base, built()),
    },
    config,
  );
}
