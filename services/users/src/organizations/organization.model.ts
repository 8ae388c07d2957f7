import { Schema, type Connection, type Model } from 'mongoose';
import { addOutbox, type OutboxFields } from '@concierge/kit';

export type OrganizationKind = 'BUSINESS_UNIT' | 'PARTNER';
export type AttributeType = 'STRING' | 'NUMBER' | 'BOOLEAN' | 'DATE';

/** A custom user attribute an organisation declares; users in its subtree may carry it. */
export interface AttributeDefinition {
  name: string;
  type: AttributeType;
  required: boolean;
}

/** An organisation as stored: a node of one tree of business units and partner organisations. */
export interface OrganizationRecord extends OutboxFields {
  _id: string;
  /** Short unique key (upper case) that imports and HR feeds use, e.g. FIN or ACME. */
  code: string;
  name: string;
  kind: OrganizationKind;
  parentId: string | null;
  attributeDefinitions: AttributeDefinition[];
  createdAt: Date;
  updatedAt: Date;
}

const definitionSchema = new Schema<AttributeDefinition>(
  {
    name: { type: String, required: true },
    type: { type: String, required: true, enum: ['STRING', 'NUMBER', 'BOOLEAN', 'DATE'] },
    required: { type: Boolean, default: false },
  },
  { _id: false },
);

const organizationSchema = new Schema<OrganizationRecord>(
  {
    _id: { type: String, required: true },
    code: { type: String, required: true },
    name: { type: String, required: true },
    kind: { type: String, required: true, enum: ['BUSINESS_UNIT', 'PARTNER'] },
    parentId: { type: String, default: null },
    attributeDefinitions: { type: [definitionSchema], default: [] },
  },
  { collection: 'organizations', timestamps: true, versionKey: false },
);
// createOrganization's duplicate check and imports resolving an organisation by code.
organizationSchema.index({ code: 1 }, { unique: true });
// The events of each change wait in the changed document until the relay publishes them.
addOutbox(organizationSchema);

export type OrganizationModel = Model<OrganizationRecord>;

export function organizationModel(db: Connection): OrganizationModel {
  return (
    (db.models.Organization as OrganizationModel | undefined) ??
    db.model<OrganizationRecord>('Organization', organizationSchema)
  );
}
