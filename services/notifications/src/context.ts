import { createGroupLoader, type RequestContext } from '@concierge/kit';
import type { InboxContext } from './inbox/resolvers';
import type { NotificationsStores } from './stores';

/** The whole request context: what every component's resolvers need. */
export type NotificationsContext = InboxContext;

/** Per-request context: the process's stores and fresh DataLoaders. */
export function createContext(base: RequestContext, stores: NotificationsStores): NotificationsContext {
  const { notifications } = stores;
  return {
    ...base,
    notifications,
    notificationsByUser: createGroupLoader(
      (userIds) => notifications.inboxesOf(userIds),
      (n) => n.userId,
    ),
  };
}
