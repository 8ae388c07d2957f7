import { upsertById } from '@concierge/kit';
import type { DirectoryOrganization, DirectoryOrganizationModel } from './directory-organization.model';

/** How far up the tree a walk goes (a cycle cannot hold it). */
const MAX_DEPTH = 32;

/** The local projection of the organisation tree (`directory_organizations`): plain objects. */
export class OrganizationsRepository {
  constructor(private readonly model: DirectoryOrganizationModel) {}

  async init(): Promise<void> {
    await this.model.init();
  }

  async findById(id: string): Promise<DirectoryOrganization | null> {
    return this.model.findById(id).lean<DirectoryOrganization>().exec();
  }

  /** An organisation and the ones above it, nearest first; empty when it is unknown here. */
  async path(organizationId: string): Promise<string[]> {
    const path: string[] = [];
    let next: string | null = organizationId;
    while (next && !path.includes(next) && path.length < MAX_DEPTH) {
      const org: DirectoryOrganization | null = await this.findById(next);
      if (!org) break;
      path.push(next);
      next = org.parentId;
    }
    return path;
  }

  /** Sets fields of one organisation, creating it on the first event (a repeat changes nothing). */
  async upsert(
    id: string,
    fields: Partial<Omit<DirectoryOrganization, '_id' | 'updatedAt'>>,
    at = new Date(),
  ): Promise<void> {
    await upsertById(this.model, id, { ...fields, updatedAt: at });
  }
}
