import { findByKeys, upsertById } from '@concierge/kit';
import type { DirectoryUserModel, DirectoryUserRecord } from './directory-user.model';

/** A projected user, as plain data. */
export type DirectoryUser = DirectoryUserRecord;

/** The fields an event can set; updatedAt is the repository's. */
export type DirectoryFields = Partial<Omit<DirectoryUserRecord, '_id' | 'updatedAt'>>;

/** A record as stored: fields no event has set yet are absent. */
type Stored = Pick<DirectoryUserRecord, '_id' | 'updatedAt'> & DirectoryFields;

/**
 * Fields no event has set yet. They are filled in on reading rather than written with the first
 * upsert: FerretDB 1.24 leaves out the null values of `$setOnInsert`.
 */
const UNKNOWN: Required<DirectoryFields> = {
  status: null,
  managerId: null,
  displayName: null,
  organizationId: null,
};

/** A stored record with every field present. */
function complete(row: Stored): DirectoryUser {
  return { ...UNKNOWN, ...row } as DirectoryUser;
}

/** Reads and writes the local projection of users (`directory_users`); plain objects in and out. */
export class DirectoryRepository {
  constructor(private readonly model: DirectoryUserModel) {}

  /** Creates the collection's indexes. */
  async init(): Promise<void> {
    await this.model.init();
  }

  /** One user by id, or null when no event about them has arrived. */
  async findById(id: string): Promise<DirectoryUser | null> {
    const row = await this.model.findById(id).lean<Stored>().exec();
    return row ? complete(row) : null;
  }

  /** Users by id (DataLoader batches). */
  async findByIds(ids: readonly string[]): Promise<DirectoryUser[]> {
    return (await findByKeys<Stored>(this.model, '_id', ids)).map(complete);
  }

  /**
   * Sets the given fields of one user, creating the record on the first event about them (the
   * other fields read as null until an event sets them). Setting the same values again changes
   * nothing, so a redelivered event is harmless.
   */
  async upsert(userId: string, fields: DirectoryFields, at = new Date()): Promise<void> {
    await upsertById(this.model, userId, { ...fields, updatedAt: at });
  }
}
