import { randomUUID } from 'node:crypto';
import { findByKeys, insertAllNew } from '@concierge/kit';
import type { NotificationModel, NotificationRecord } from './notification.model';

export type Notification = NotificationRecord;

export class NotificationRepository {
  constructor(private readonly model: NotificationModel) {}

  /**
   * Stores the notifications in one write, leaving out those whose source event has one already
   * (a redelivered event); the count stored.
   */
  async addOnce(list: Omit<NotificationRecord, '_id' | 'readAt'>[]): Promise<number> {
    return insertAllNew(
      this.model.collection,
      list.map((n): NotificationRecord => ({ ...n, _id: randomUUID(), readAt: null })),
    );
  }

  /**
   * The notifications of many users, each user's newest first: one equality per user on
   * FerretDB, where a `$in` reads the whole collection (kit findByKeys).
   */
  async forUsers(userIds: readonly string[]): Promise<Notification[]> {
    return findByKeys<Notification>(this.model, 'userId', userIds, { sort: { createdAt: -1 } });
  }
}
