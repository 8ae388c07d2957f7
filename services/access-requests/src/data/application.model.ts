import { Schema, type Connection, type Model } from 'mongoose';

export interface ApplicationRecord {
  _id: string;
  name: string;
  description?: string;
}

const applicationSchema = new Schema<ApplicationRecord>(
  {
    _id: { type: String, required: true },
    name: { type: String, required: true },
    description: { type: String },
  },
  { collection: 'applications', versionKey: false, timestamps: true },
);
// The catalogue listing, ordered by name; names are unique.
applicationSchema.index({ name: 1 }, { unique: true });

export type ApplicationModel = Model<ApplicationRecord>;

export function applicationModel(db: Connection): ApplicationModel {
  return (
    (db.models.Application as ApplicationModel | undefined) ?? db.model('Application', applicationSchema)
  );
}

/** Reads the catalogue; plain objects. */
export class ApplicationRepository {
  constructor(private readonly model: ApplicationModel) {}

  list(): Promise<ApplicationRecord[]> {
    return this.model.find().sort({ name: 1 }).lean<ApplicationRecord[]>().exec();
  }

  findByIds(ids: readonly string[]): Promise<ApplicationRecord[]> {
    return this.model
      .find({ _id: { $in: [...ids] } })
      .lean<ApplicationRecord[]>()
      .exec();
  }
}
