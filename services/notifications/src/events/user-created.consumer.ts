import type { EventHandler } from '@concierge/kit';
import type { NotificationRepository } from '../data/notification.repository';

interface UserCreated {
  userId: string;
  email: string;
  displayName: string;
}

/** user.created → a welcome notification in the new user's inbox (once per event). */
export function onUserCreated(notifications: NotificationRepository): EventHandler {
  return async (event, { logger }) => {
    const data = event.data as unknown as UserCreated;
    const created = await notifications.addOnce({
      userId: data.userId,
      kind: 'WELCOME',
      title: 'Welcome to Concierge',
      body: `Hello ${data.displayName}, your account is ready.`,
      sourceEventId: event.id,
      createdAt: new Date(event.time),
    });
    logger.info({ userId: data.userId, created }, 'welcome notification stored');
  };
}
