import { NotFoundError } from '@concierge/kit';
import type { Organization } from './organization.repository';
import type { OrganizationsDeps } from './deps';
import { usersEvent } from '../shared/events';
import { normalizeDefinitions, normalizeName } from './organization-input';

export interface UpdateOrganizationInput {
  name?: string | null;
  attributeDefinitions?: { name: string; type: string; required?: boolean | null }[] | null;
}

/**
 * Renames an organisation or replaces its attribute definitions. Values users already carry are
 * left as stored; the new definitions apply to the next change of each user.
 */
export async function updateOrganization(
  id: string,
  input: UpdateOrganizationInput,
  deps: OrganizationsDeps,
): Promise<Organization> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await deps.orgs.findById(id);
    if (!current) throw new NotFoundError('Organization', id);
    const name = input.name != null ? normalizeName(input.name) : current.name;
    const attributeDefinitions =
      input.attributeDefinitions != null
        ? normalizeDefinitions(input.attributeDefinitions)
        : current.attributeDefinitions;
    const changes: Record<string, { before: unknown; after: unknown }> = {};
    if (name !== current.name) changes.name = { before: current.name, after: name };
    if (JSON.stringify(attributeDefinitions) !== JSON.stringify(current.attributeDefinitions)) {
      changes.attributeDefinitions = { before: current.attributeDefinitions, after: attributeDefinitions };
    }
    if (Object.keys(changes).length === 0) return current;
    const event = usersEvent(deps, 'organization.updated', id, { organizationId: id, changes });
    if (
      await deps.orgs.update(id, { updatedAt: current.updatedAt }, { name, attributeDefinitions }, [event])
    ) {
      return (await deps.orgs.findById(id)) as Organization;
    }
  }
  throw new Error(`organisation ${id} kept changing while being updated`);
}
