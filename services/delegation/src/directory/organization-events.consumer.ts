import type { EventHandler, HandlerMap } from '@concierge/kit';
import type { DirectoryOrganization } from './directory-organization.model';
import type { OrganizationsRepository } from './organizations.repository';

interface OrganizationCreated {
  organizationId: string;
  name: string;
  kind: DirectoryOrganization['kind'];
  parentId: string | null;
}

interface OrganizationMoved {
  organizationId: string;
  parentId: string | null;
}

/**
 * The tree's handlers of `concierge.organization.v1`: where each organisation hangs, and whether
 * it is a partner. One organisation's events come in order (keyed by its id); each sets values, so
 * a redelivery leaves the same record.
 */
export function organizationHandlers(organizations: OrganizationsRepository): HandlerMap {
  const created: EventHandler = async (event) => {
    const d = event.data as unknown as OrganizationCreated;
    await organizations.upsert(d.organizationId, { name: d.name, kind: d.kind, parentId: d.parentId });
  };
  const moved: EventHandler = async (event) => {
    const d = event.data as unknown as OrganizationMoved;
    await organizations.upsert(d.organizationId, { parentId: d.parentId });
  };
  return { 'organization.created': created, 'organization.moved': moved };
}
