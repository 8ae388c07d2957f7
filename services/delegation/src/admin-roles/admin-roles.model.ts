import { Schema, type Connection, type Model } from 'mongoose';
import type { CustomRole, RoleAssignment } from './role-assignment';

/** The current-state collections of the two versioned stores. */
export const ASSIGNMENTS = 'admin_role_assignments';
export const CUSTOM_ROLES = 'admin_roles';

const scopeSchema = new Schema(
  {
    kind: { type: String, required: true, enum: ['GLOBAL', 'ORGANIZATION', 'PARTNER', 'APPLICATION'] },
    id: { type: String },
    subtree: { type: Boolean },
  },
  { _id: false },
);

// The versioned store writes these documents whole (kit storage/versioned-store.ts); the schemas
// declare their shape for reads and the indexes the queries below need.
const assignmentSchema = new Schema<RoleAssignment>(
  {
    _id: { type: String, required: true },
    version: { type: Number, required: true },
    userId: { type: String, required: true },
    role: { type: String, required: true },
    capabilities: { type: [String], required: true },
    scope: { type: scopeSchema, required: true },
    validFrom: { type: Date, required: true },
    validTo: { type: Date, default: null },
    reason: { type: String, default: null },
    assignedBy: { type: String, required: true },
    assignedAt: { type: Date, required: true },
    revokedBy: { type: String, default: null },
    revokedAt: { type: Date, default: null },
    revokeReason: { type: String, default: null },
  },
  { collection: ASSIGNMENTS, versionKey: false },
);
// A user's assignments: what the gateway asks for on every new principal, and User.adminRoles.
assignmentSchema.index({ userId: 1 });

type StoredRole = CustomRole & { version: number };

const customRoleSchema = new Schema<StoredRole>(
  {
    _id: { type: String, required: true },
    version: { type: Number, required: true },
    capabilities: { type: [String], required: true },
    description: { type: String, default: null },
    definedBy: { type: String, required: true },
    definedAt: { type: Date, required: true },
  },
  { collection: CUSTOM_ROLES, versionKey: false },
);

export type AssignmentModel = Model<RoleAssignment>;
export type CustomRoleModel = Model<StoredRole>;

export function assignmentModel(db: Connection): AssignmentModel {
  return (
    (db.models.AdminRoleAssignment as AssignmentModel | undefined) ??
    db.model<RoleAssignment>('AdminRoleAssignment', assignmentSchema)
  );
}

export function customRoleModel(db: Connection): CustomRoleModel {
  return (
    (db.models.AdminRole as CustomRoleModel | undefined) ??
    db.model<StoredRole>('AdminRole', customRoleSchema)
  );
}
