import { Schema, type Connection, type Model } from 'mongoose';
import { addOutbox, type OutboxFields } from '@concierge/kit';

export type UserStatus = 'PENDING' | 'ACTIVE' | 'SUSPENDED' | 'TERMINATED';
export type EmployeeType = 'EMPLOYEE' | 'CONTRACTOR' | 'PARTNER' | 'SERVICE';
export const EMPLOYEE_TYPES: readonly EmployeeType[] = ['EMPLOYEE', 'CONTRACTOR', 'PARTNER', 'SERVICE'];

/** A user as stored. */
export interface UserRecord extends OutboxFields {
  _id: string;
  /** The user's id in the source system it came from (HR, a directory), with that system's name. */
  externalId: string | null;
  source: string | null;
  /** `source:externalId`, unique; absent when the user has no external id (sparse index). */
  externalKey?: string;
  /**
   * `issuer#subject` of the external OpenID Connect identity the user signs in with (an issuer has
   * no fragment, so the first `#` separates them); unique; absent for users without one.
   */
  externalSubject?: string;
  /** Unique, lower case; defaults to the e-mail address. */
  username: string;
  /** Unique, lower case. */
  email: string;
  givenName: string | null;
  familyName: string | null;
  displayName: string;
  title: string | null;
  department: string | null;
  employeeType: EmployeeType;
  organizationId: string;
  managerId: string | null;
  /** Custom attributes declared by the organisation (or an ancestor), typed. */
  attributes: Record<string, string | number | boolean>;
  status: UserStatus;
  startDate: Date | null;
  endDate: Date | null;
  /** When the next time-driven transition falls due (start or end date), and which one. */
  dueAt: Date | null;
  dueAction: 'ACTIVATE' | 'TERMINATE' | null;
  /** The minute `dueAt` falls in (kit dueBucketFor), set by the repository with every `dueAt`. */
  dueBucket?: string | null;
  /** The list buckets the user sits in (data/user-listing.ts), set by the repository with every write. */
  listBuckets?: string[];
  /** The words and word starts a text search finds the user by (data/user-listing.ts). */
  searchTerms?: string[];
  createdAt: Date;
  updatedAt: Date;
}

const userSchema = new Schema<UserRecord>(
  {
    _id: { type: String, required: true },
    externalId: { type: String, default: null },
    source: { type: String, default: null },
    externalKey: { type: String },
    externalSubject: { type: String },
    username: { type: String, required: true },
    email: { type: String, required: true },
    givenName: { type: String, default: null },
    familyName: { type: String, default: null },
    displayName: { type: String, required: true },
    title: { type: String, default: null },
    department: { type: String, default: null },
    employeeType: { type: String, required: true, enum: EMPLOYEE_TYPES },
    organizationId: { type: String, required: true },
    managerId: { type: String, default: null },
    attributes: { type: Schema.Types.Mixed, default: {} },
    status: { type: String, required: true, enum: ['PENDING', 'ACTIVE', 'SUSPENDED', 'TERMINATED'] },
    startDate: { type: Date, default: null },
    endDate: { type: Date, default: null },
    dueAt: { type: Date, default: null },
    dueAction: { type: String, enum: ['ACTIVATE', 'TERMINATE', null], default: null },
    dueBucket: { type: String, default: null },
    listBuckets: { type: [String], default: undefined },
    searchTerms: { type: [String], default: undefined },
  },
  { collection: 'users', timestamps: true, versionKey: false, minimize: false },
);
// Duplicate checks and sign-in by e-mail or username.
userSchema.index({ email: 1 }, { unique: true });
userSchema.index({ username: 1 }, { unique: true });
// Imports and the HR feed find a user by source and external id; users without one are not indexed.
userSchema.index({ externalKey: 1 }, { unique: true, sparse: true });
// The gateway maps an external provider's token to its user by issuer and subject (external-idp/).
userSchema.index({ externalSubject: 1 }, { unique: true, sparse: true });
// users(filter: { organizationId }) and the organisation's member list.
userSchema.index({ organizationId: 1 });
// directReports and users(filter: { managerId }).
userSchema.index({ managerId: 1 });
// The lifecycle scheduler's lookup of the users due in one minute (an equality, see the kit's DueSweeper).
userSchema.index({ dueBucket: 1 });
// users(first, after, sort, filter: { organizationId }) reads a page bucket by bucket (kit OrderedBuckets).
userSchema.index({ listBuckets: 1 });
// users(filter: { text }) looks up the longest word of the text.
userSchema.index({ searchTerms: 1 });
// The events of each change wait in the changed document until the relay publishes them.
addOutbox(userSchema);

export type UserModel = Model<UserRecord>;

export function userModel(db: Connection): UserModel {
  return (db.models.User as UserModel | undefined) ?? db.model<UserRecord>('User', userSchema);
}
