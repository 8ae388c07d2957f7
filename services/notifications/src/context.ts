import type DataLoader from 'dataloader';
import { createGroupLoader, type RequestContext, type ServiceRuntime } from '@concierge/kit';
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
    notificationsByUser: createGroupLoader(
      (userIds) => repository.forUsers(userIds),
      (n) => n.userId,
    ),
  };
}
