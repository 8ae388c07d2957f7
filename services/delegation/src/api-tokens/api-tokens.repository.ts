import type { Connection, Model } from 'mongoose';
import {
  findByKeys,
  upsertById,
  VersionedStore,
  type Change,
  type DueSweeper,
  type EventEnvelope,
  type Logger,
} from '@concierge/kit';
import { nextDue, type ApiToken } from './api-token';
import { API_TOKENS, apiTokenModel, tokenUsageModel, type TokenUsage } from './api-tokens.model';

/** How stale a token's last use may be before a use writes it again. */
const USAGE_RESOLUTION_MS = 60_000;

/**
 * API tokens, written through the kit's VersionedStore (a change and its events commit together;
 * the notice and expiry timers ride on it), read by equality on indexed fields. Their last use is
 * a separate small record, written at most once a minute per token.
 */
export class ApiTokenRepository {
  private readonly store: VersionedStore<ApiToken>;
  private readonly model: Model<ApiToken>;
  private readonly usage: Model<TokenUsage>;

  constructor(db: Connection, options: { onCommitted?: () => void; logger?: Logger } = {}) {
    this.model = apiTokenModel(db);
    this.usage = tokenUsageModel(db);
    this.store = new VersionedStore<ApiToken>({ db, collection: API_TOKENS, dueAt: nextDue, ...options });
  }

  static readonly outboxCollection = VersionedStore.versionsOf(API_TOKENS);

  async init(): Promise<void> {
    await this.model.init();
    await this.usage.init();
    await this.store.init();
  }

  async create(token: Omit<ApiToken, 'version'>, events: EventEnvelope[]): Promise<ApiToken | null> {
    return this.store.create(token, { events });
  }

  async update(
    id: string,
    decide: (current: ApiToken) => Change<ApiToken, never> | null,
  ): Promise<{ state: ApiToken; changed: boolean } | null> {
    return this.store.update(id, decide);
  }

  /** The latest committed version (for a writer). */
  async load(id: string): Promise<ApiToken | null> {
    return this.store.load(id);
  }

  /** As last written: what the gateway's check and the lists read. */
  async peek(id: string): Promise<ApiToken | null> {
    return this.store.peek(id);
  }

  async createdBy(creatorId: string): Promise<ApiToken[]> {
    return this.model.find({ creatorId }).lean<ApiToken[]>().exec();
  }

  async ofOrganization(organizationId: string): Promise<ApiToken[]> {
    return this.model.find({ organizationId }).lean<ApiToken[]>().exec();
  }

  /** Last uses by token id (DataLoader batches). */
  async usageOf(ids: readonly string[]): Promise<TokenUsage[]> {
    return findByKeys<TokenUsage>(this.usage, '_id', ids);
  }

  /** Records a use unless one within the last minute is recorded already (`known`, as last read). */
  async recordUse(id: string, known: Date | null, now: Date): Promise<void> {
    if (known && now.getTime() - known.getTime() < USAGE_RESOLUTION_MS) return;
    await upsertById(this.usage, id, { lastUsedAt: now });
  }

  async lastUse(id: string): Promise<Date | null> {
    return (await this.usage.findById(id).lean<TokenUsage>().exec())?.lastUsedAt ?? null;
  }

  async sweepDue(now: Date, sweeper: DueSweeper, fire: (current: ApiToken, now: Date) => Promise<void>) {
    return this.store.sweepDue(now, sweeper, fire);
  }

  async heal(now = new Date()): Promise<number> {
    return this.store.heal(now);
  }
}
