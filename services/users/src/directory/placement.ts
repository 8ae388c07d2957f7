import { BadInputError } from '@concierge/kit';
import type { Organization } from '../organizations/organization.repository';
import type { User } from './user.repository';
import type { UsersDeps } from './deps';
import { checkAttributes, type AttributeInput, type AttributeValue } from './attributes';
import { OrgTree } from '../organizations/org-tree';
import { USER_ERRORS } from './directory.errors';
import { ORGANIZATION_ERRORS } from '../organizations/organization.errors';

/** Where a user sits: organisation, manager, and the custom attributes that organisation allows. */
export interface Placement {
  organizationId: string;
  managerId: string | null;
  attributes: Record<string, AttributeValue>;
}

/** What placing a user needs to know of the managers it may meet on the chain. */
export type ManagerRef = Pick<User, '_id' | 'status' | 'displayName' | 'managerId'>;

/** Manager chains deeper than this are treated as broken data rather than walked forever. */
const MAX_CHAIN = 100;

/**
 * Checks a user's organisation, manager and custom attributes. `userId` is the user being placed
 * (null when creating), so that a manager chain leading back to them is refused.
 */
export async function resolvePlacement(
  input: { organizationId: string; managerId: string | null; attributes: AttributeInput | null | undefined },
  userId: string | null,
  deps: Pick<UsersDeps, 'users'>,
  tree: OrgTree<Organization>,
  managers?: ReadonlyMap<string, ManagerRef>,
): Promise<Placement> {
  if (!tree.get(input.organizationId)) {
    throw new BadInputError(
      'organizationId',
      `Organisation ${input.organizationId.slice(0, 64)} does not exist`,
      ORGANIZATION_ERRORS.NOT_FOUND,
    );
  }
  const attributes = checkAttributes(input.attributes, tree.effectiveDefinitions(input.organizationId));
  if (input.managerId !== null) await checkManager(input.managerId, userId, deps, managers);
  return { organizationId: input.organizationId, managerId: input.managerId, attributes };
}

async function checkManager(
  managerId: string,
  userId: string | null,
  deps: Pick<UsersDeps, 'users'>,
  known?: ReadonlyMap<string, ManagerRef>,
): Promise<void> {
  if (userId !== null && managerId === userId) {
    throw new BadInputError('managerId', 'A user cannot be their own manager', USER_ERRORS.OWN_MANAGER);
  }
  const load = async (id: string) => known?.get(id) ?? (await deps.users.findById(id));
  const manager = await load(managerId);
  if (!manager) {
    throw new BadInputError(
      'managerId',
      `Manager ${managerId.slice(0, 64)} does not exist`,
      USER_ERRORS.MANAGER_NOT_FOUND,
    );
  }
  if (manager.status === 'TERMINATED') {
    throw new BadInputError(
      'managerId',
      `Manager ${manager.displayName} has left`,
      USER_ERRORS.MANAGER_TERMINATED,
    );
  }
  if (userId === null) return;
  let current: ManagerRef | null = manager;
  for (let hop = 0; current && hop < MAX_CHAIN; hop++) {
    if (current._id === userId) {
      throw new BadInputError(
        'managerId',
        `${manager.displayName} reports (directly or not) to this user, so cannot be their manager`,
        USER_ERRORS.MANAGER_CYCLE,
      );
    }
    current = current.managerId ? await load(current.managerId) : null;
  }
}
