import type { EventEnvelope, EventHandler } from '@concierge/kit';
import { grantStartedNotification, type GrantFacts } from './grant-started.consumer';
import type { NotificationDraft, NotificationRepository } from './notification.repository';
import { dataOf, notifying } from './store-notifications';

interface GrantCreated extends GrantFacts {
  source: 'REQUEST' | 'BIRTHRIGHT' | 'ADMINISTRATOR';
  requestId: string | null;
  ruleId: string | null;
  status: 'SCHEDULED' | 'ACTIVE';
}

/** Where the access came from; a requested one needs no word, its approval notification said it. */
const SOURCE: Record<GrantCreated['source'], string> = {
  REQUEST: '',
  BIRTHRIGHT: ' It comes with your position in the organisation.',
  ADMINISTRATOR: ' An administrator gave it to you.',
};

/**
 * The GRANT_STARTED notification of a grant created in force (ACTIVE); none for a SCHEDULED one,
 * whose grant.started follows at its start.
 */
export function grantCreatedNotifications(event: EventEnvelope): NotificationDraft[] {
  const data = dataOf<GrantCreated>(event);
  return data.status === 'ACTIVE' ? [grantStartedNotification(event, data, SOURCE[data.source])] : [];
}

/** grant.created with status ACTIVE → the beneficiary learns their access starts now (once per event). */
export function onGrantCreated(notifications: NotificationRepository): EventHandler {
  return notifying('grant-created', notifications, (events) => events.flatMap(grantCreatedNotifications));
}
