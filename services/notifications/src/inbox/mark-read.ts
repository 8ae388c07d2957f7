import { NotFoundError } from '@concierge/kit';
import type { Notification, NotificationRepository } from './notification.repository';

/**
 * Marks one of the owner's notifications read and returns it. Another user's notification answers
 * NOT_FOUND like a missing one, so an id tells nobody whether it exists. Marking it again keeps the
 * first readAt.
 */
export async function markNotificationRead(
  owner: string,
  id: string,
  store: NotificationRepository,
  now = new Date(),
): Promise<Notification> {
  const found = await store.findOwned(owner, id);
  if (!found) throw new NotFoundError('Notification', id);
  if (found.readAt) return found;
  if (await store.markRead(owner, id, now)) return { ...found, readAt: now };
  // Another call marked it in between: answer with the readAt it stored.
  return (await store.findOwned(owner, id)) ?? { ...found, readAt: now };
}

/** Marks every unread notification of the owner read; how many it marked. */
export async function markAllNotificationsRead(
  owner: string,
  store: NotificationRepository,
  now = new Date(),
): Promise<number> {
  return store.markAllRead(owner, now);
}
