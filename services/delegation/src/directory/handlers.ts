import { handleEach, type HandlerMap } from '@concierge/kit';
import type { DirectoryRepository } from './directory.repository';
import { onUserCreated } from './user-created.consumer';
import { onUserMoved } from './user-moved.consumer';
import { onUserStatusChanged, STATUS_EVENTS } from './user-status.consumer';
import { onUserUpdated } from './user-updated.consumer';

/**
 * The projection's handlers of `concierge.user.v1`. One user's events come in order (the message
 * key is the user id) and each handler sets values rather than adding to them, so a repeat after a
 * rebalance leaves the same record.
 */
export function directoryHandlers(directory: DirectoryRepository): HandlerMap {
  return {
    'user.created': onUserCreated(directory),
    'user.updated': onUserUpdated(directory),
    'user.moved': onUserMoved(directory),
    ...handleEach(STATUS_EVENTS, onUserStatusChanged(directory)),
  };
}
