import type { EventHandler } from '@concierge/kit';
import type { DirectoryRepository } from './directory.repository';

/** user.updated/v1: changed fields, each with before and after. */
interface UserUpdated {
  userId: string;
  changes: Record<string, { before: unknown; after: unknown }>;
}

/** user.updated → a new display name; the other profile fields are none of this service's business. */
export function onUserUpdated(directory: DirectoryRepository): EventHandler {
  return async (event) => {
    const data = event.data as unknown as UserUpdated;
    const name = data.changes.displayName?.after;
    if (typeof name === 'string' && name !== '') await directory.upsert(data.userId, { displayName: name });
  };
}
