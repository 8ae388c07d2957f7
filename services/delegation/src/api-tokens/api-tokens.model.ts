import { Schema, type Connection, type Model } from 'mongoose';
import type { ApiToken } from './api-token';

/** The current-state collection of the tokens' versioned store. */
export const API_TOKENS = 'api_tokens';

// The versioned store writes these documents whole (kit storage/versioned-store.ts); the schema
// declares their shape for reads and the indexes the lists need.
const apiTokenSchema = new Schema<ApiToken>(
  {
    _id: { type: String, required: true },
    version: { type: Number, required: true },
    name: { type: String, required: true },
    organizationId: { type: String, required: true },
    capabilities: { type: [String], required: true },
    applicationIds: { type: [String], default: null },
    expiresAt: { type: Date, required: true },
    creatorId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    secretHash: { type: String, required: true },
    revokedAt: { type: Date, default: null },
    revokedBy: { type: String, default: null },
    revokeReason: { type: String, default: null },
    expiringNoticeAt: { type: Date, default: null },
    expiredAt: { type: Date, default: null },
  },
  { collection: API_TOKENS, versionKey: false },
);
// myApiTokens, and apiTokens(organizationId).
apiTokenSchema.index({ creatorId: 1 });
apiTokenSchema.index({ organizationId: 1 });

/** When each token was last used, to the minute: kept apart so that use never races a change. */
export interface TokenUsage {
  _id: string;
  lastUsedAt: Date;
}

const usageSchema = new Schema<TokenUsage>(
  { _id: { type: String, required: true }, lastUsedAt: { type: Date, required: true } },
  { collection: 'api_token_usage', versionKey: false },
);

export function apiTokenModel(db: Connection): Model<ApiToken> {
  return (
    (db.models.ApiToken as Model<ApiToken> | undefined) ?? db.model<ApiToken>('ApiToken', apiTokenSchema)
  );
}

export function tokenUsageModel(db: Connection): Model<TokenUsage> {
  return (
    (db.models.ApiTokenUsage as Model<TokenUsage> | undefined) ??
    db.model<TokenUsage>('ApiTokenUsage', usageSchema)
  );
}
