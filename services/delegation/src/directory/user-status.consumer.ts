import type { EventHandler } from '@concierge/kit';
import type { DirectoryRepository } from './directory.repository';
import type { UserStatus } from './directory-user.model';

/** The lifecycle events whose data carries the user's new status. */
export const STATUS_EVENTS = ['user.activated', 'user.suspended', 'user.terminated', 'user.rehired'] as const;

/** user.activated, user.suspended, user.terminated, user.rehired/v1: the status after the change. */
interface StatusChanged {
  userId: string;
  status: UserStatus;
}

/** A lifecycle event → the user's new status (only ACTIVE users may become deputies). */
export function onUserStatusChanged(directory: DirectoryRepository): EventHandler {
  return async (event) => {
    const data = event.data as unknown as StatusChanged;
    await directory.upsert(data.userId, { status: data.status });
  };
}
