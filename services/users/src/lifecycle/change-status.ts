import { createEvent, NotFoundError, type EventContracts } from '@concierge/kit';
import type { User, UserRepository } from '../directory/user.repository';
import type { CredentialEffects } from '../directory/credential-effects';
import { EVENT_OF, nextDue, nextStatus, type LifecycleAction } from '../directory/user-lifecycle';

export interface ChangeStatusDeps {
  users: UserRepository;
  contracts: EventContracts;
  actor: string;
  correlationId: string;
  /**
   * Set-password token on activation, session revocation on suspension and termination. The
   * service always passes it; tests of the lifecycle alone may leave it out.
   */
  credentialEffects?: CredentialEffects;
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
  const credentialEvents = await credentialEffectsOf(user, status, deps);
  return deps.users.transition(
    user._id,
    { status: user.status, dueAt: user.dueAt },
    { status, dueAt: due?.at ?? null, dueAction: due?.action ?? null },
    [event, ...credentialEvents],
  );
}

/**
 * Runs the credential side of a transition before its write and returns the events that write
 * carries with it (credential.set-password-issued, credential.sessions-revoked).
 */
async function credentialEffectsOf(user: User, status: User['status'], deps: ChangeStatusDeps) {
  const effects = deps.credentialEffects;
  if (!effects) return [];
  if (status === 'ACTIVE') return effects.beforeActivation(user, deps);
  if (status === 'SUSPENDED' || status === 'TERMINATED')
    return effects.beforeDeactivation(user, status, deps);
  return [];
}
