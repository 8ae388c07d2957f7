import type { EventEnvelope, EventHandler } from '@concierge/kit';
import { entitlementIn, formatInstant } from './notification-text';
import type { NotificationDraft, NotificationRepository } from './notification.repository';
import { dataOf, draftFor, notifying } from './store-notifications';

/** What grant.started and grant.created have in common. */
export interface GrantFacts {
  grantId: string;
  beneficiaryId: string;
  applicationId: string;
  applicationName: string;
  entitlementId: string;
  entitlementName: string;
  validFrom: string;
  validTo: string | null;
}

/** The GRANT_STARTED notification for the beneficiary of a grant that is in force now; `more` ends the body. */
export function grantStartedNotification(
  event: EventEnvelope,
  grant: GrantFacts,
  more = '',
): NotificationDraft {
  const until = grant.validTo ? ` until ${formatInstant(grant.validTo)}` : '';
  return draftFor(event, grant.beneficiaryId, {
    kind: 'GRANT_STARTED',
    title: `Access granted: ${entitlementIn(grant)}`,
    link: { kind: 'GRANT', id: grant.grantId },
    body: `You now have access to ${entitlementIn(grant)}${until}.${more}`,
  });
}

/** grant.started (a scheduled grant reached its start) → the beneficiary learns it (once per event). */
export function onGrantStarted(notifications: NotificationRepository): EventHandler {
  return notifying('grant-started', notifications, (events) =>
    events.map((event) => grantStartedNotification(event, dataOf<GrantFacts>(event))),
  );
}
