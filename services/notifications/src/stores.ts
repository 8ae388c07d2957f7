import type { Connection } from 'mongoose';
import { delegationModel } from './inbox/delegation.model';
import { DelegationRepository } from './inbox/delegation.repository';
import type { InboxStores } from './inbox/handlers';
import { notificationModel } from './inbox/notification.model';
import { NotificationRepository } from './inbox/notification.repository';

/** Every store of the notifications service, built once per process and passed down. */
export type NotificationsStores = InboxStores;

/** Builds the stores on the service's connection. */
export function createStores(db: Connection): NotificationsStores {
  return {
    notifications: new NotificationRepository(notificationModel(db)),
    delegations: new DelegationRepository(delegationModel(db)),
  };
}
