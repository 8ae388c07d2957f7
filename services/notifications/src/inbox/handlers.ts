import type { HandlerMap } from '@concierge/kit';
import { onApiTokenExpiring } from './api-token-expiring.consumer';
import { onDelegationCreated } from './delegation-created.consumer';
import type { DelegationRepository } from './delegation.repository';
import { onGrantCreated } from './grant-created.consumer';
import { onGrantExpiring } from './grant-expiring.consumer';
import { onGrantStarted } from './grant-started.consumer';
import type { NotificationRepository } from './notification.repository';
import { onRequestApproved } from './request-approved.consumer';
import { onRequestRejected } from './request-rejected.consumer';
import { onSetPasswordIssued } from './set-password-issued.consumer';
import { onTaskAssigned } from './task-assigned.consumer';
import { onTaskEscalated } from './task-escalated.consumer';
import { onTaskReminder } from './task-reminder.consumer';
import { onUserCreated } from './user-created.consumer';

/** The stores the inbox writes and reads. */
export interface InboxStores {
  notifications: NotificationRepository;
  delegations: DelegationRepository;
}

/** The inbox's consumers by event type: one per type, each an insert keyed by event and recipient. */
export function inboxHandlers({ notifications, delegations }: InboxStores, sealKey: Buffer): HandlerMap {
  return {
    'user.created': onUserCreated(notifications),
    'credential.set-password-issued': onSetPasswordIssued(notifications, sealKey),
    'approval.task-assigned': onTaskAssigned(notifications, delegations),
    'approval.reminder': onTaskReminder(notifications, delegations),
    'approval.escalated': onTaskEscalated(notifications, delegations),
    'access-request.approved': onRequestApproved(notifications),
    'access-request.rejected': onRequestRejected(notifications),
    'grant.created': onGrantCreated(notifications),
    'grant.started': onGrantStarted(notifications),
    'grant.expiring': onGrantExpiring(notifications),
    'delegation.created': onDelegationCreated(notifications, delegations),
    'api-token.expiring': onApiTokenExpiring(notifications),
  };
}
