import type { Connection } from 'mongoose';
import { ExclusiveKeys, findByKeys, VersionedStore, type Logger } from '@concierge/kit';
import type { Application } from './application';
import { applicationModel, type ApplicationModel } from './application.model';

/** The catalogue's store: versioned applications, their names claimed once, and the queries. */
export class ApplicationRepository {
  readonly store: VersionedStore<Application>;
  private readonly model: ApplicationModel;
  private readonly names: ExclusiveKeys;

  constructor(db: Connection, options: { onCommitted?: () => void; logger?: Logger } = {}) {
    this.model = applicationModel(db);
    this.store = new VersionedStore<Application>({ db, collection: 'applications', ...options });
    this.names = new ExclusiveKeys(db, 'application_names');
  }

  /** As last written (queries). */
  findById(id: string): Promise<Application | null> {
    return this.store.peek(id);
  }

  findByIds(ids: readonly string[]): Promise<Application[]> {
    return findByKeys<Application>(this.model, '_id', ids);
  }

  /** The application that holds an entitlement, as last written (the catalogue changes rarely). */
  byEntitlement(entitlementId: string): Promise<Application | null> {
    return this.model.findOne({ entitlementIds: entitlementId }).lean<Application>().exec();
  }

  /**
   * Every application, by name. The catalogue holds hundreds of applications, not the hundreds
   * of thousands of users the directory does, so it is read whole and sorted here.
   */
  async list(): Promise<Application[]> {
    const rows = await this.model.find().lean<Application[]>().exec();
    return rows.sort((a, b) => a.name.localeCompare(b.name) || a._id.localeCompare(b._id));
  }

  /** Claims a name for an application; the id of another live holder when it is taken. */
  claimName(name: string, applicationId: string): Promise<string | null> {
    return this.names.acquire(nameKey(name), applicationId, async (holder) => {
      const other = await this.store.load(holder);
      // A holder whose application never came to exist, or was renamed since, lets go.
      return other !== null && nameKey(other.name) === nameKey(name);
    });
  }

  releaseName(name: string, applicationId: string): Promise<void> {
    return this.names.release(nameKey(name), applicationId);
  }
}

function nameKey(name: string): string {
  return name.trim().toLowerCase();
}
