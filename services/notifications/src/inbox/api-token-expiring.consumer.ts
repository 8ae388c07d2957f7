import type { EventEnvelope, EventHandler } from '@concierge/kit';
import { formatInstant } from './notification-text';
import type { NotificationDraft, NotificationRepository } from './notification.repository';
import { dataOf, draftFor, notifying } from './store-notifications';

interface ApiTokenExpiring {
  tokenId: string;
  name: string;
  creatorId: string;
  expiresAt: string;
}

/** The API_TOKEN_EXPIRING notification for the token's creator. */
export function apiTokenExpiringNotification(event: EventEnvelope): NotificationDraft {
  const data = dataOf<ApiTokenExpiring>(event);
  return draftFor(event, data.creatorId, {
    kind: 'API_TOKEN_EXPIRING',
    title: `API token expires soon: ${data.name}`,
    link: { kind: 'API_TOKEN', id: data.tokenId },
    body: `Your API token "${data.name}" stops working at ${formatInstant(data.expiresAt)}. Create a new one and give it to whatever uses this one before then.`,
  });
}

/** api-token.expiring → its creator is told, 7 days ahead (once per event). */
export function onApiTokenExpiring(notifications: NotificationRepository): EventHandler {
  return notifying('api-token-expiring', notifications, (events) => events.map(apiTokenExpiringNotification));
}
