import { randomUUID } from 'node:crypto';
import { findByKeys, isDuplicateKey } from '@concierge/kit';
import type { NotificationModel, NotificationRecord } from './notification.model';

export type Notification = NotificationRecord;

export class NotificationRepository {
  constructor(private readonly model: NotificationModel) {}

  /** Stores a notification unless one exists for the same source event; returns whether it was new. */
  async addOnce(n: Omit<NotificationRecord, '_id' | 'readAt'>): Promise<boolean> {
    try {
      await this.model.create({ ...n, _id: randomUUID(), readAt: null });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /**
   * The notifications of many users, each user's newest first: one equality per user on
   * FerretDB, where a `$in` reads the whole collection (kit findByKeys).
   */
  async forUsers(userIds: readonly string[]): Promise<Notification[]> {
    return findByKeys<Notification>(this.model, 'userId', userIds, { sort: { createdAt: -1 } });
  }
}
