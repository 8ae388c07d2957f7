import type { EventEnvelope, EventHandler } from '@concierge/kit';
import type { NotificationDraft, NotificationRepository } from './notification.repository';
import { dataOf, draftFor, notifying } from './store-notifications';

interface UserCreated {
  userId: string;
  email: string;
  displayName: string;
}

/** The welcome a new user finds in their inbox. */
export function welcomeNotification(event: EventEnvelope): NotificationDraft {
  const data = dataOf<UserCreated>(event);
  return draftFor(event, data.userId, {
    kind: 'WELCOME',
    title: 'Welcome to Concierge',
    body: `Hello ${data.displayName}, your account is ready.`,
  });
}

/** user.created → a welcome notification in the new user's inbox (once per event), a chunk at a time. */
export function onUserCreated(notifications: NotificationRepository): EventHandler {
  return notifying('welcome', notifications, (events) => events.map(welcomeNotification));
}
