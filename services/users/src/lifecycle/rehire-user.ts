import { ConflictError, NotFoundError } from '@concierge/kit';
import type { User } from '../directory/user.repository';
import type { CredentialEffects } from '../directory/credential-effects';
import { type UsersDeps } from '../directory/deps';
import { usersEvent } from '../shared/events';
import { initialStatus, nextDue } from '../directory/user-lifecycle';
import { checkDates, parseDate } from '../directory/profile';

/**
 * Brings a terminated user back as a new start: the same identity (id, history, external id) with
 * new dates. A start date in the future makes them PENDING until then, otherwise ACTIVE at once.
 */
export async function rehireUser(
  id: string,
  input: { startDate: string; endDate?: string | null },
  deps: UsersDeps & { credentialEffects?: CredentialEffects },
): Promise<User> {
  const startDate = parseDate('startDate', input.startDate) as Date;
  const endDate = parseDate('endDate', input.endDate);
  checkDates(startDate, endDate);
  for (let attempt = 0; attempt < 3; attempt++) {
    const user = await deps.users.findById(id);
    if (!user) throw new NotFoundError('User', id);
    if (user.status !== 'TERMINATED') {
      throw new ConflictError(`Only a terminated user can be rehired; this user is ${user.status}`, {
        field: 'status',
        reason: `USER.CANNOT_REHIRE_${user.status}`,
      });
    }
    const status = initialStatus({ startDate }, deps.now ?? new Date());
    const due = nextDue(status, { startDate, endDate });
    const event = usersEvent(deps, 'user.rehired', id, {
      userId: id,
      status,
      previousStatus: 'TERMINATED',
      startDate: startDate.toISOString(),
      endDate: endDate?.toISOString() ?? null,
    });
    // Rehired straight into ACTIVE: a set-password link as on any activation (none if a password is set).
    const credentialEvents =
      status === 'ACTIVE' && deps.credentialEffects
        ? await deps.credentialEffects.beforeActivation(user, deps)
        : [];
    const written = await deps.users.transition(
      id,
      { status: user.status, dueAt: user.dueAt },
      { status, startDate, endDate, dueAt: due?.at ?? null, dueAction: due?.action ?? null },
      [event, ...credentialEvents],
    );
    if (written) return (await deps.users.findById(id)) as User;
  }
  throw new Error(`user ${id} kept changing while being rehired`);
}
