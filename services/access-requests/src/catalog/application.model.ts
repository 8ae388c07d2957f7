import { Schema, type Connection, type Model } from 'mongoose';
import type { Application } from './application';

const applicationSchema = new Schema<Application>(
  {
    _id: { type: String, required: true },
    version: { type: Number, required: true },
    name: { type: String, required: true },
    entitlementIds: { type: [String], default: [] },
  },
  // The store writes whole documents; the schema declares what queries and indexes use.
  { collection: 'applications', versionKey: false, strict: false },
);
// Requests: which application holds an entitlement (equality on the array).
applicationSchema.index({ entitlementIds: 1 });

export type ApplicationModel = Model<Application>;

export function applicationModel(db: Connection): ApplicationModel {
  return (
    (db.models.Application as ApplicationModel | undefined) ?? db.model('Application', applicationSchema)
  );
}

/**
 * Creates the indexes. Earlier versions kept a unique index on the name in this collection; names
 * are unique through a claimed key now (a unique index would refuse the store's write of a state
 * after its version was committed), so that index goes.
 */
export async function initApplicationModel(db: Connection): Promise<void> {
  const model = applicationModel(db);
  await model.init();
  const indexes = await model.collection.indexes().catch(() => []);
  if (indexes.some((i) => i.name === 'name_1')) await model.collection.dropIndex('name_1');
}
