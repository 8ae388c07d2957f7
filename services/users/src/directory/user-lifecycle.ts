import { ConflictError } from '@concierge/kit';
import type { UserStatus } from './user.model';

/**
 * The user lifecycle: PENDING → ACTIVE ⇄ SUSPENDED → TERMINATED. A terminated user comes back
 * only as a new start (rehire), never by activation.
 */
export type LifecycleAction = 'ACTIVATE' | 'SUSPEND' | 'TERMINATE';

const TARGET: Record<LifecycleAction, UserStatus> = {
  ACTIVATE: 'ACTIVE',
  SUSPEND: 'SUSPENDED',
  TERMINATE: 'TERMINATED',
};

const ALLOWED: Record<LifecycleAction, readonly UserStatus[]> = {
  ACTIVATE: ['PENDING', 'SUSPENDED'],
  SUSPEND: ['ACTIVE'],
  TERMINATE: ['PENDING', 'ACTIVE', 'SUSPENDED'],
};

export const EVENT_OF: Record<LifecycleAction, string> = {
  ACTIVATE: 'user.activated',
  SUSPEND: 'user.suspended',
  TERMINATE: 'user.terminated',
};

/** The status an action leads to, or a CONFLICT error that names the current status. */
export function nextStatus(current: UserStatus, action: LifecycleAction): UserStatus {
  if (!ALLOWED[action].includes(current)) {
    throw new ConflictError(`Cannot ${action.toLowerCase()} a user who is ${current}`, {
      field: 'status',
      reason: `USER.CANNOT_${action}_${current}`,
    });
  }
  return TARGET[action];
}

export interface Schedule {
  startDate?: Date | null;
  endDate?: Date | null;
}

/** The next time-driven transition of a user in `status`, or null when nothing is due later. */
export function nextDue(
  status: UserStatus,
  schedule: Schedule,
): { at: Date; action: 'ACTIVATE' | 'TERMINATE' } | null {
  if (status === 'PENDING' && schedule.startDate) return { at: schedule.startDate, action: 'ACTIVATE' };
  if ((status === 'ACTIVE' || status === 'SUSPENDED') && schedule.endDate) {
    return { at: schedule.endDate, action: 'TERMINATE' };
  }
  return null;
}

/** The status a new user starts in: PENDING until a future start date, otherwise ACTIVE. */
export function initialStatus(schedule: Schedule, now: Date): 'PENDING' | 'ACTIVE' {
  return schedule.startDate && schedule.startDate.getTime() > now.getTime() ? 'PENDING' : 'ACTIVE';
}
