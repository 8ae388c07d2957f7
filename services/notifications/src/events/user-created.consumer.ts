import { batchedHandler, type EventHandler } from '@concierge/kit';
import type { NotificationRepository } from '../data/notification.repository';

interface UserCreated {
  userId: string;
  email: string;
  displayName: string;
}

/** user.created → a welcome notification in the new user's inbox (once per event), a chunk at a time. */
export function onUserCreated(notifications: NotificationRepository): EventHandler {
  return batchedHandler(async (events, { logger }) => {
    const created = await notifications.addOnce(
      events.map((event) => {
        const data = event.data as unknown as UserCreated;
        return {
          userId: data.userId,
          kind: 'WELCOME',
          title: 'Welcome to Concierge',
          body: `Hello ${data.displayName}, your account is ready.`,
          sourceEventId: event.id,
          createdAt: new Date(event.time),
        };
      }),
    );
    logger.info({ events: events.length, created }, 'welcome notifications stored');
  });
}
