import { Schema, type Connection, type Model } from 'mongoose';
import { OUTBOX_INDEX, type EventEnvelope } from '@concierge/kit';

export type UserStatus = 'PENDING' | 'ACTIVE' | 'SUSPENDED' | 'TERMINATED';

/** A user as stored. */
export interface UserRecord {
  _id: string;
  email: string;
  displayName: string;
  status: UserStatus;
  startDate: Date | null;
  endDate: Date | null;
  /** When the next time-driven transition falls due (start or end date), and which one. */
  dueAt: Date | null;
  dueAction: 'ACTIVATE' | 'TERMINATE' | null;
  createdAt: Date;
  updatedAt: Date;
  outbox?: EventEnvelope[];
  outboxPending?: boolean;
  outboxSeq?: number;
}

const userSchema = new Schema<UserRecord>(
  {
    _id: { type: String, required: true },
    email: { type: String, required: true },
    displayName: { type: String, required: true },
    status: { type: String, required: true, enum: ['PENDING', 'ACTIVE', 'SUSPENDED', 'TERMINATED'] },
    startDate: { type: Date, default: null },
    endDate: { type: Date, default: null },
    dueAt: { type: Date, default: null },
    dueAction: { type: String, enum: ['ACTIVATE', 'TERMINATE', null], default: null },
    outbox: { type: [Schema.Types.Mixed], default: undefined },
    outboxPending: { type: Boolean },
    outboxSeq: { type: Number },
  },
  { collection: 'users', timestamps: true, versionKey: false },
);
// createUser's duplicate check and login by e-mail.
userSchema.index({ email: 1 }, { unique: true });
// The lifecycle scheduler's scan for transitions that fell due.
userSchema.index({ dueAt: 1 });
// The outbox relay's scan for unpublished events.
userSchema.index(OUTBOX_INDEX);

export type UserModel = Model<UserRecord>;

export function userModel(db: Connection): UserModel {
  return (db.models.User as UserModel | undefined) ?? db.model<UserRecord>('User', userSchema);
}
