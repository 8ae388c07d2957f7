import type { EventEnvelope, EventHandler } from '@concierge/kit';
import { entitlementIn, formatInstant } from './notification-text';
import type { NotificationDraft, NotificationRepository } from './notification.repository';
import { dataOf, draftFor, notifying } from './store-notifications';

interface GrantExpiring {
  grantId: string;
  beneficiaryId: string;
  applicationName: string;
  entitlementName: string;
  validTo: string;
}

/** The GRANT_EXPIRING notification for the beneficiary. */
export function grantExpiringNotification(event: EventEnvelope): NotificationDraft {
  const data = dataOf<GrantExpiring>(event);
  return draftFor(event, data.beneficiaryId, {
    kind: 'GRANT_EXPIRING',
    title: `Access ends soon: ${entitlementIn(data)}`,
    link: { kind: 'GRANT', id: data.grantId },
    body: `Your access to ${entitlementIn(data)} ends at ${formatInstant(data.validTo)}. If you still need it, ask for an extension.`,
  });
}

/** grant.expiring → the beneficiary is told their access ends soon (once per event). */
export function onGrantExpiring(notifications: NotificationRepository): EventHandler {
  return notifying('grant-expiring', notifications, (events) => events.map(grantExpiringNotification));
}
