import { Schema, type Connection, type Model } from 'mongoose';

/** An organisation as this service knows it from `concierge.organization.v1`: where it hangs, what kind. */
export interface DirectoryOrganization {
  _id: string;
  parentId: string | null;
  kind: 'BUSINESS_UNIT' | 'PARTNER';
  name: string;
  updatedAt: Date;
}

const directoryOrganizationSchema = new Schema<DirectoryOrganization>(
  {
    _id: { type: String, required: true },
    parentId: { type: String, default: null },
    kind: { type: String, required: true, enum: ['BUSINESS_UNIT', 'PARTNER'] },
    name: { type: String, required: true },
    updatedAt: { type: Date, required: true },
  },
  { collection: 'directory_organizations', versionKey: false },
);
// Every read is by _id, one organisation at a time up the tree.

export type DirectoryOrganizationModel = Model<DirectoryOrganization>;

export function directoryOrganizationModel(db: Connection): DirectoryOrganizationModel {
  return (
    (db.models.DirectoryOrganization as DirectoryOrganizationModel | undefined) ??
    db.model<DirectoryOrganization>('DirectoryOrganization', directoryOrganizationSchema)
  );
}
