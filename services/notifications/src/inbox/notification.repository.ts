import { findByKeys, insertAllNew } from '@concierge/kit';
import type { Collection } from 'mongoose';
import type { NotificationModel, NotificationRecord } from './notification.model';

/** A notification as reads return it: never the sealed token. */
export type Notification = Omit<NotificationRecord, 'sealedToken'>;

/** A notification to store: the repository gives it its id and leaves it unread. */
export type NotificationDraft = Omit<NotificationRecord, '_id' | 'readAt'>;

/** The id of the notification an event makes for one recipient (at most one each). */
export function notificationId(sourceEventId: string, userId: string): string {
  return `${sourceEventId}:${userId}`;
}

/** The unique index of the version that stored one notification per event; multi-recipient events need it gone. */
const LEGACY_EVENT_INDEX = 'sourceEventId_1';
/** Marks, in `migrations`, that every notification has its per-recipient id. */
const REKEYED = 'notifications.id-per-recipient';
/** Notifications re-keyed per write during that upgrade. */
const REKEY_CHUNK = 200;

const NAMESPACE_NOT_FOUND = 26;
const INDEX_NOT_FOUND = 27;

/** The inbox store: plain objects in and out; every read is an equality on userId or _id. */
export class NotificationRepository {
  constructor(private readonly model: NotificationModel) {}

  /**
   * Stores the notifications in one write, leaving out those already stored for their event and
   * recipient (a redelivered event); the count stored.
   */
  async addOnce(drafts: readonly NotificationDraft[]): Promise<number> {
    return insertAllNew(
      this.model.collection,
      drafts.map((d): NotificationRecord => ({
        ...d,
        _id: notificationId(d.sourceEventId, d.userId),
        readAt: null,
      })),
    );
  }

  /** One user's whole inbox, in no particular order (callers sort: see inbox-page.ts). */
  async inboxOf(userId: string): Promise<Notification[]> {
    return this.model.find({ userId }).lean<Notification[]>().exec();
  }

  /** The inboxes of many users, in no particular order: one equality per user on FerretDB (kit findByKeys). */
  async inboxesOf(userIds: readonly string[]): Promise<Notification[]> {
    return findByKeys<Notification>(this.model, 'userId', userIds);
  }

  /**
   * The owner's notification with this id; null when there is none or it is someone else's. The
   * lookup is by `_id` alone, so it costs one document whatever the size of the owner's inbox.
   */
  async findOwned(owner: string, id: string): Promise<Notification | null> {
    const found = await this.model.findOne({ _id: id }).lean<Notification>().exec();
    return found?.userId === owner ? found : null;
  }

  /** Sets readAt on the owner's notification if it is unread; true when this call set it. */
  async markRead(owner: string, id: string, at: Date): Promise<boolean> {
    const result = await this.model.updateOne(
      { _id: id, userId: owner, readAt: null },
      { $set: { readAt: at } },
    );
    return result.modifiedCount > 0;
  }

  /** Sets readAt on every unread notification of the owner; how many it set. */
  async markAllRead(owner: string, at: Date): Promise<number> {
    const result = await this.model.updateMany({ userId: owner, readAt: null }, { $set: { readAt: at } });
    return result.modifiedCount;
  }

  /**
   * Readies the collection: drops the earlier version's unique index on sourceEventId, creates the
   * indexes, and gives notifications stored before ids were per recipient their `<event>:<user>`
   * id, so that a redelivery of their event finds them. That last step reads the whole collection
   * once per database (a mark records it); a repeat after a crash copies nothing twice. Returns
   * how many notifications it re-keyed.
   */
  async prepare(): Promise<number> {
    await this.model.collection.dropIndex(LEGACY_EVENT_INDEX).catch((err: unknown) => {
      const code = (err as { code?: unknown }).code;
      if (code !== INDEX_NOT_FOUND && code !== NAMESPACE_NOT_FOUND) throw err;
    });
    await this.model.init();
    const marks = this.model.db.collection<{ _id: string; at: Date }>('migrations');
    if (await marks.findOne({ _id: REKEYED })) return 0;
    const raw = this.model.db.collection<NotificationRecord>(this.model.collection.collectionName);
    let rekeyed = 0;
    let chunk: NotificationRecord[] = [];
    // The raw collection, so that the sealed token (select: false in the model) moves along.
    for await (const doc of raw.find({})) {
      if (doc._id === notificationId(doc.sourceEventId, doc.userId)) continue;
      chunk.push(doc);
      if (chunk.length === REKEY_CHUNK) {
        rekeyed += await this.rekey(raw, chunk);
        chunk = [];
      }
    }
    rekeyed += await this.rekey(raw, chunk);
    await insertAllNew(marks, [{ _id: REKEYED, at: new Date() }]);
    return rekeyed;
  }

  /** Copies the notifications under their per-recipient id, then deletes the originals by _id. */
  private async rekey(raw: Collection<NotificationRecord>, docs: NotificationRecord[]): Promise<number> {
    if (docs.length === 0) return 0;
    await insertAllNew(
      raw,
      docs.map((doc) => ({ ...doc, _id: notificationId(doc.sourceEventId, doc.userId) })),
    );
    for (const doc of docs) await raw.deleteOne({ _id: doc._id });
    return docs.length;
  }
}
