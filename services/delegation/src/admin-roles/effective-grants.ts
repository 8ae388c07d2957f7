import type { AdminGrantsState } from '@concierge/kit';
import type { AdminRolesRepository } from './admin-roles.repository';
import { grantsAt } from './role-assignment';

/**
 * What the gateway signs into a user's principal: the grants of their live assignments, and when
 * that answer changes by itself (an assignment starting or ending). One equality read on userId.
 */
export async function effectiveGrants(
  userId: string,
  adminRoles: AdminRolesRepository,
  now = new Date(),
): Promise<AdminGrantsState> {
  const { grants, changesAt } = grantsAt(await adminRoles.assignmentsOf(userId), now);
  return { grants, changesAt: changesAt?.toISOString() ?? null };
}
