import type { EventHandler } from '@concierge/kit';
import type { DirectoryRepository } from './directory.repository';
import type { UserStatus } from './directory-user.model';

/** The part of user.created/v1 the projection keeps (the consumer has validated the whole). */
interface UserCreated {
  userId: string;
  displayName: string;
  status: UserStatus;
  organizationId?: string;
  managerId?: string | null;
}

/** user.created → the user enters the projection with their status, manager, name and organisation. */
export function onUserCreated(directory: DirectoryRepository): EventHandler {
  return async (event) => {
    const data = event.data as unknown as UserCreated;
    await directory.upsert(data.userId, {
      status: data.status,
      displayName: data.displayName,
      managerId: data.managerId ?? null,
      organizationId: data.organizationId ?? null,
    });
  };
}
