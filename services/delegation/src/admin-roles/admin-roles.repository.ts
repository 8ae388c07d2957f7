import { VersionedStore, type EventEnvelope, type Logger } from '@concierge/kit';
import { ASSIGNMENTS, CUSTOM_ROLES, type AssignmentModel, type CustomRoleModel } from './admin-roles.model';
import type { CustomRole, RoleAssignment } from './role-assignment';

type StoredRole = CustomRole & { version: number };

export interface AdminRolesRepositoryOptions {
  /** Called after every commit (the service kicks its outbox relay). */
  onCommitted?: () => void;
  logger?: Logger;
}

/**
 * Role assignments and custom roles, each written through the kit's VersionedStore so a change
 * and its events commit together; read by equality on an indexed field.
 */
export class AdminRolesRepository {
  private readonly assignments: VersionedStore<RoleAssignment>;
  private readonly roles: VersionedStore<StoredRole>;

  constructor(
    private readonly models: { assignments: AssignmentModel; roles: CustomRoleModel },
    options: AdminRolesRepositoryOptions = {},
  ) {
    this.assignments = new VersionedStore<RoleAssignment>({
      db: models.assignments.db,
      collection: ASSIGNMENTS,
      ...options,
    });
    this.roles = new VersionedStore<StoredRole>({
      db: models.roles.db,
      collection: CUSTOM_ROLES,
      ...options,
    });
  }

  /** The version logs: the relay publishes the events their records carry. */
  static readonly outboxCollections = [
    VersionedStore.versionsOf(ASSIGNMENTS),
    VersionedStore.versionsOf(CUSTOM_ROLES),
  ];

  async init(): Promise<void> {
    await this.models.assignments.init();
    await this.models.roles.init();
    await this.assignments.init();
    await this.roles.init();
  }

  /** Commits a new assignment with its events; null if its id exists already. */
  async createAssignment(
    assignment: Omit<RoleAssignment, 'version'>,
    events: EventEnvelope[],
  ): Promise<RoleAssignment | null> {
    return this.assignments.create(assignment, { events });
  }

  /** Loads the latest version, decides, commits; decides again when another writer came first. */
  async updateAssignment(
    id: string,
    decide: (current: RoleAssignment) => { next: RoleAssignment; events: EventEnvelope[] } | null,
  ): Promise<{ state: RoleAssignment; changed: boolean } | null> {
    return this.assignments.update(id, decide);
  }

  async assignment(id: string): Promise<RoleAssignment | null> {
    return this.assignments.load(id);
  }

  /** Every assignment one user has had, revoked and ended ones included. */
  async assignmentsOf(userId: string): Promise<RoleAssignment[]> {
    return this.models.assignments.find({ userId }).lean<RoleAssignment[]>().exec();
  }

  /** Commits a new custom role with its event; null when the name is taken. */
  async defineRole(role: CustomRole, events: EventEnvelope[]): Promise<CustomRole | null> {
    return this.roles.create(role, { events });
  }

  async customRole(name: string): Promise<CustomRole | null> {
    return this.roles.peek(name);
  }

  /** Every custom role (few: a global administrator defines them by hand). */
  async customRoles(): Promise<CustomRole[]> {
    return this.models.roles.find({}).lean<StoredRole[]>().exec();
  }

  /** Applies versions whose writer died before finishing them; returns how many. */
  async heal(now = new Date()): Promise<number> {
    return (await this.assignments.heal(now)) + (await this.roles.heal(now));
  }
}
