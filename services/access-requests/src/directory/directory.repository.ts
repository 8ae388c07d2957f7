import { findByKeys, withDocumentLocks, documentKey } from '@concierge/kit';
import type {
  DirectoryAdminRole,
  DirectoryModels,
  DirectoryOrganization,
  DirectoryRoles,
  DirectoryUser,
} from './directory.model';

/** How far up a manager chain or an organisation tree a walk goes (a cycle cannot hold it). */
const MAX_DEPTH = 32;

/** Reads and writes the local projection of users, organisations and roles; plain objects. */
export class DirectoryRepository {
  constructor(private readonly models: DirectoryModels) {}

  user(id: string): Promise<DirectoryUser | null> {
    return this.models.users.findOne({ _id: id }).lean<DirectoryUser>().exec();
  }

  /** Many users by id: equality lookups, for DataLoaders. */
  usersByIds(ids: readonly string[]): Promise<DirectoryUser[]> {
    return findByKeys<DirectoryUser>(this.models.users, '_id', ids);
  }

  /** The users of one organisation (not its children). */
  usersIn(organizationId: string): Promise<DirectoryUser[]> {
    return this.models.users.find({ organizationId }).lean<DirectoryUser[]>().exec();
  }

  /** The managers above a user, nearest first (each a point lookup). */
  async managerChain(userId: string): Promise<DirectoryUser[]> {
    const chain: DirectoryUser[] = [];
    const seen = new Set([userId]);
    let next = (await this.user(userId))?.managerId ?? null;
    while (next && !seen.has(next) && chain.length < MAX_DEPTH) {
      seen.add(next);
      const manager = await this.user(next);
      if (!manager) break;
      chain.push(manager);
      next = manager.managerId;
    }
    return chain;
  }

  /** An organisation and its ancestors, nearest first. */
  async organizationPath(organizationId: string): Promise<string[]> {
    const path: string[] = [];
    let next: string | null = organizationId;
    while (next && !path.includes(next) && path.length < MAX_DEPTH) {
      path.push(next);
      next =
        (await this.models.organizations.findOne({ _id: next }).lean<DirectoryOrganization>().exec())
          ?.parentId ?? null;
    }
    return path;
  }

  /** The partner organisation a user's organisation belongs to (the nearest PARTNER on its path), or null. */
  async partnerOf(organizationId: string): Promise<string | null> {
    const seen = new Set<string>();
    let next: string | null = organizationId;
    while (next && !seen.has(next) && seen.size < MAX_DEPTH) {
      seen.add(next);
      const org: DirectoryOrganization | null = await this.organization(next);
      if (org?.kind === 'PARTNER') return next;
      next = org?.parentId ?? null;
    }
    return null;
  }

  async organization(id: string): Promise<DirectoryOrganization | null> {
    return this.models.organizations.findOne({ _id: id }).lean<DirectoryOrganization>().exec();
  }

  async hasOrganization(id: string): Promise<boolean> {
    return (await this.models.organizations.findOne({ _id: id }, { _id: 1 }).lean().exec()) !== null;
  }

  /** An organisation and every organisation below it, walked level by level by parent. */
  async subtree(organizationId: string): Promise<string[]> {
    const all = [organizationId];
    let level = [organizationId];
    while (level.length > 0 && all.length < 100_000) {
      const children = await findByKeys<DirectoryOrganization>(this.models.organizations, 'parentId', level);
      level = children.map((c) => c._id).filter((id) => !all.includes(id));
      all.push(...level);
    }
    return all;
  }

  /** Records an admin role assignment, or its revocation (a repeat changes nothing). */
  async upsertAdminRole(id: string, fields: Partial<Omit<DirectoryAdminRole, '_id'>>): Promise<void> {
    await this.models.adminRoles.updateOne({ _id: id }, { $set: fields }, { upsert: true }).exec();
  }

  /**
   * The administrators of an organisation at `now`: holders of a live assignment carrying
   * `capability` over it, the nearest level up the tree that has any (an assignment over an
   * ancestor counts when it includes the subtree). Empty when no level has any.
   */
  async organizationAdmins(organizationId: string, capability: string, now: Date): Promise<string[]> {
    const path = await this.organizationPath(organizationId);
    for (const [level, id] of path.entries()) {
      const rows = await this.models.adminRoles
        .find({ scopeOrganizationId: id })
        .lean<DirectoryAdminRole[]>()
        .exec();
      const holders = rows
        .filter(
          (r) =>
            !r.revoked &&
            r.validFrom <= now &&
            (r.validTo === null || now < r.validTo) &&
            r.capabilities.includes(capability) &&
            (level === 0 || r.subtree),
        )
        .map((r) => r.userId);
      if (holders.length > 0) return [...new Set(holders)].sort();
    }
    return [];
  }

  /** The users holding a global role. */
  async holdersOf(role: string): Promise<string[]> {
    const rows = await this.models.roles.find({ roles: role }).lean<DirectoryRoles[]>().exec();
    return rows.map((r) => r._id);
  }

  /** Sets fields of a user's projection, creating it if need be (events of one user arrive in order). */
  async upsertUser(id: string, fields: Partial<Omit<DirectoryUser, '_id'>>): Promise<void> {
    await withDocumentLocks([documentKey('directory_users', id)], () =>
      this.models.users.updateOne({ _id: id }, { $set: fields }, { upsert: true }).exec(),
    );
  }

  async upsertOrganization(id: string, fields: Partial<Omit<DirectoryOrganization, '_id'>>): Promise<void> {
    await withDocumentLocks([documentKey('directory_organizations', id)], () =>
      this.models.organizations.updateOne({ _id: id }, { $set: fields }, { upsert: true }).exec(),
    );
  }

  async setRoles(userId: string, roles: string[]): Promise<void> {
    await this.models.roles.updateOne({ _id: userId }, { $set: { roles } }, { upsert: true }).exec();
  }
}
