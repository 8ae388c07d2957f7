import { createEvent, NotFoundError, type EventContracts } from '@concierge/kit';
import type { User, UserRepository } from '../data/user.repository';
import { EVENT_OF, nextDue, nextStatus, type LifecycleAction } from './lifecycle';

export interface ChangeStatusDeps {
  users: UserRepository;
  contracts: EventContracts;
  actor: string;
  correlationId: string;
}

export type Trigger = 'SCHEDULE' | 'ON_DEMAND';

/**
 * Moves a user through the lifecycle on demand: load, decide (CONFLICT names the current status),
 * then write the new status and its event in one compare-and-set. A concurrent change makes the
 * write miss; the user is read again and the decision made anew.
 */
export async function changeStatus(
  id: string,
  action: LifecycleAction,
  deps: ChangeStatusDeps,
): Promise<User> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const user = await deps.users.findById(id);
    if (!user) throw new NotFoundError('User', id);
    if (await applyTransition(user, action, 'ON_DEMAND', deps)) {
      return (await deps.users.findById(id)) as User;
    }
  }
  throw new Error(`user ${id} kept changing while being ${action.toLowerCase()}d`);
}

/** Writes one transition of `user` if it is still as read; false when another writer came first. */
export async function applyTransition(
  user: User,
  action: LifecycleAction,
  trigger: Trigger,
  deps: ChangeStatusDeps,
): Promise<boolean> {
  const status = nextStatus(user.status, action);
  const due = nextDue(status, user);
  const event = createEvent('/concierge/users', {
    type: EVENT_OF[action],
    subject: user._id,
    data: { userId: user._id, status, previousStatus: user.status, trigger },
    actor: deps.actor,
    correlationId: deps.correlationId,
  });
  deps.contracts.validate(event);
  return deps.users.transition(
    user._id,
    { status: user.status, dueAt: user.dueAt },
    { status, dueAt: due?.at ?? null, dueAction: due?.action ?? null },
    [event],
  );
}
