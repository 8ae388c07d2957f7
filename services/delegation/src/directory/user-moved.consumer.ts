import type { EventHandler } from '@concierge/kit';
import type { DirectoryRepository } from './directory.repository';

/** user.moved/v1: organisation, manager and employee type before and after. */
interface UserMoved {
  userId: string;
  after: { organizationId: string; managerId: string | null };
}

/** user.moved → the new manager and organisation (who may manage the user's deputies follows). */
export function onUserMoved(directory: DirectoryRepository): EventHandler {
  return async (event) => {
    const data = event.data as unknown as UserMoved;
    await directory.upsert(data.userId, {
      managerId: data.after.managerId,
      organizationId: data.after.organizationId,
    });
  };
}
