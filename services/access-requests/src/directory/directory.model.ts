import { Schema, type Connection, type Model } from 'mongoose';

/** A user as far as approvals need them, kept from the users service's events. */
export interface DirectoryUser {
  _id: string;
  displayName: string;
  status: 'PENDING' | 'ACTIVE' | 'SUSPENDED' | 'TERMINATED';
  organizationId: string;
  managerId: string | null;
  employeeType: 'EMPLOYEE' | 'CONTRACTOR' | 'PARTNER' | 'SERVICE';
  updatedAt: Date;
}

/** An organisation: its place in the tree (birthright subtrees, requestable-by checks). */
export interface DirectoryOrganization {
  _id: string;
  name: string;
  parentId: string | null;
  /** Absent on records projected before kinds were; read as BUSINESS_UNIT. */
  kind?: 'BUSINESS_UNIT' | 'PARTNER';
}

/** A user's global roles (admin), from the users service's audit records of role grants. */
export interface DirectoryRoles {
  _id: string;
  roles: string[];
}

const userSchema = new Schema<DirectoryUser>(
  {
    _id: { type: String, required: true },
    displayName: { type: String, required: true },
    status: { type: String, required: true },
    organizationId: { type: String, required: true },
    managerId: { type: String, default: null },
    employeeType: { type: String, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'directory_users', versionKey: false },
);
// Birthright rules: the users of one organisation.
userSchema.index({ organizationId: 1 });

const orgSchema = new Schema<DirectoryOrganization>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    parentId: { type: String, default: null },
    kind: { type: String, enum: ['BUSINESS_UNIT', 'PARTNER'] },
  },
  { collection: 'directory_organizations', versionKey: false },
);
// A subtree, level by level: the children of one organisation.
orgSchema.index({ parentId: 1 });

const rolesSchema = new Schema<DirectoryRoles>(
  { _id: { type: String, required: true }, roles: { type: [String], default: [] } },
  { collection: 'directory_roles', versionKey: false },
);
// Approvers of kind ORGANIZATION_ADMINS: the users holding a role (equality on the array).
rolesSchema.index({ roles: 1 });

/**
 * An admin role assignment over an organisation (admin-role.* events of the delegation service):
 * who administers which part of the business, for ORGANIZATION_ADMINS approvers.
 */
export interface DirectoryAdminRole {
  /** The assignment id. */
  _id: string;
  userId: string;
  /** The organisation of an ORGANIZATION or PARTNER scope; null for other scopes. */
  scopeOrganizationId: string | null;
  /** Whether it reaches below that organisation (always for a partner scope). */
  subtree: boolean;
  capabilities: string[];
  validFrom: Date;
  validTo: Date | null;
  revoked: boolean;
}

const adminRoleSchema = new Schema<DirectoryAdminRole>(
  {
    _id: { type: String, required: true },
    userId: { type: String, required: true },
    scopeOrganizationId: { type: String, default: null },
    subtree: { type: Boolean, required: true },
    capabilities: { type: [String], default: [] },
    validFrom: { type: Date, required: true },
    validTo: { type: Date, default: null },
    revoked: { type: Boolean, default: false },
  },
  { collection: 'directory_admin_roles', versionKey: false },
);
// The administrators of one organisation: equality on it, one read per level up the tree.
adminRoleSchema.index({ scopeOrganizationId: 1 });

export interface DirectoryModels {
  users: Model<DirectoryUser>;
  organizations: Model<DirectoryOrganization>;
  roles: Model<DirectoryRoles>;
  adminRoles: Model<DirectoryAdminRole>;
}

export function directoryModels(db: Connection): DirectoryModels {
  return {
    users:
      (db.models.DirectoryUser as Model<DirectoryUser> | undefined) ?? db.model('DirectoryUser', userSchema),
    organizations:
      (db.models.DirectoryOrganization as Model<DirectoryOrganization> | undefined) ??
      db.model('DirectoryOrganization', orgSchema),
    roles:
      (db.models.DirectoryRoles as Model<DirectoryRoles> | undefined) ??
      db.model('DirectoryRoles', rolesSchema),
    adminRoles:
      (db.models.DirectoryAdminRole as Model<DirectoryAdminRole> | undefined) ??
      db.model('DirectoryAdminRole', adminRoleSchema),
  };
}

export async function initDirectoryModels(db: Connection): Promise<void> {
  const models = directoryModels(db);
  await Promise.all([
    models.users.init(),
    models.organizations.init(),
    models.roles.init(),
    models.adminRoles.init(),
  ]);
}
