import { Schema, type Connection, type Model } from 'mongoose';
import { upsertById, type EventHandler, type HandlerMap } from '@concierge/kit';

/** An application of the catalogue as this service knows it (application.created): that it exists. */
export interface DirectoryApplication {
  _id: string;
  name: string;
  updatedAt: Date;
}

const schema = new Schema<DirectoryApplication>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'directory_applications', versionKey: false },
);

function applicationModel(db: Connection): Model<DirectoryApplication> {
  return (
    (db.models.DirectoryApplication as Model<DirectoryApplication> | undefined) ??
    db.model<DirectoryApplication>('DirectoryApplication', schema)
  );
}

/** The applications an APPLICATION scope may name: projected from `concierge.application.v1`. */
export class ApplicationsRepository {
  private readonly model: Model<DirectoryApplication>;

  constructor(db: Connection) {
    this.model = applicationModel(db);
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  async exists(id: string): Promise<boolean> {
    return (await this.model.findOne({ _id: id }, { _id: 1 }).lean().exec()) !== null;
  }

  async upsert(id: string, name: string, at = new Date()): Promise<void> {
    await upsertById(this.model, id, { name, updatedAt: at });
  }
}

/** application.created records the application; a repeat changes nothing. */
export function applicationHandlers(applications: ApplicationsRepository): HandlerMap {
  const created: EventHandler = async (event) => {
    const d = event.data as { applicationId: string; name: string };
    await applications.upsert(d.applicationId, d.name);
  };
  return { 'application.created': created };
}
