import { randomUUID } from 'node:crypto';
import { isDuplicateKey } from '@concierge/kit';
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

  /** The notifications of many users in one query, newest first. */
  async forUsers(userIds: readonly string[]): Promise<Notification[]> {
    return this.model
      .find({ userId: { $in: [...userIds] } })
      .sort({ createdAt: -1 })
      .lean<Notification[]>()
      .exec();
  }
}
