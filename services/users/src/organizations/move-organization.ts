import { BadInputError, NotFoundError } from '@concierge/kit';
import type { Organization } from './organization.repository';
import type { OrganizationsDeps } from './deps';
import { usersEvent } from '../shared/events';
import { loadTree } from './org-tree';
import { ORGANIZATION_ERRORS } from './organization.errors';

/**
 * Moves an organisation (with its subtree) under another parent, or to the top with null. A move
 * under itself or one of its descendants is refused. Only the moved node's document changes:
 * subtrees are computed from parent links, so there is no path to rewrite below it.
 */
export async function moveOrganization(
  id: string,
  parentId: string | null,
  deps: OrganizationsDeps,
): Promise<Organization> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const tree = await loadTree(deps);
    const current = tree.get(id);
    if (!current) throw new NotFoundError('Organization', id);
    if (parentId !== null) {
      if (!tree.get(parentId)) {
        throw new BadInputError(
          'parentId',
          `Organisation ${parentId.slice(0, 64)} does not exist`,
          ORGANIZATION_ERRORS.NOT_FOUND,
        );
      }
      if (tree.wouldCycle(id, parentId)) {
        throw new BadInputError(
          'parentId',
          `${tree.get(parentId)?.name ?? parentId} is inside ${current.name}; an organisation cannot move under itself`,
          ORGANIZATION_ERRORS.MOVE_CYCLE,
        );
      }
    }
    if (current.parentId === parentId) return current;
    const event = usersEvent(deps, 'organization.moved', id, {
      organizationId: id,
      parentId,
      previousParentId: current.parentId,
    });
    if (await deps.orgs.update(id, { parentId: current.parentId }, { parentId }, [event])) {
      return (await deps.orgs.findById(id)) as Organization;
    }
  }
  throw new Error(`organisation ${id} kept changing while being moved`);
}
