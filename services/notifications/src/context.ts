import type DataLoader from 'dataloader';
import { type RequestContext, type ServiceRuntime } from '@concierge/kit';
import DataLoaderImpl from 'dataloader';
import { notificationModel } from './data/notification.model';
import { NotificationRepository, type Notification } from './data/notification.repository';

export interface NotificationsContext extends RequestContext {
  notificationsByUser: DataLoader<string, Notification[]>;
}

/** Per-request context with a DataLoader that reads many users' inboxes in one query. */
export function createContext(base: RequestContext, runtime: ServiceRuntime): NotificationsContext {
  const repository = new NotificationRepository(notificationModel(runtime.db));
  return {
    ...base,
    notificationsByUser: new DataLoaderImpl<string, Notification[]>(async (userIds) => {
      const rows = await repository.forUsers(userIds);
      return userIds.map((id) => rows.filter((n) => n.userId === id));
    }),
  };
}
