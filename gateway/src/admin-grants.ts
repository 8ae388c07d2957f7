import {
  ADMIN_GRANTS_PATH,
  parseGrants,
  type AdminGrantsState,
  type Logger,
  type ScopedGrant,
} from '@concierge/kit';
import { internalGet, UserAnswerCache } from './user-answer-cache';

export interface AdminGrantsOptions {
  /** The delegation subgraph's GraphQL URL; the grants route is on the same host. */
  delegationUrl: string;
  /** The delegation subgraph's principal key (subgraphKey). */
  delegationKey: Buffer;
  ttlMs: number;
  staleMs: number;
  logger: Logger;
}

/**
 * The admin grants a user holds now, asked of the delegation service, cached like session answers
 * and until the next assignment starts or ends, and dropped when an admin-role event about the user
 * arrives. When the delegation service cannot be asked and no recent answer is left, the user acts
 * with no admin grants (their own rights and global roles still apply): fewer rights, never more.
 */
export class AdminGrants {
  private readonly cache: UserAnswerCache<AdminGrantsState>;
  private readonly logger: Logger;

  constructor(options: AdminGrantsOptions) {
    this.logger = options.logger;
    const target = { graphqlUrl: options.delegationUrl, subgraph: 'delegation', key: options.delegationKey };
    this.cache = new UserAnswerCache<AdminGrantsState>({
      ttlMs: options.ttlMs,
      staleMs: options.staleMs,
      what: 'admin grants',
      logger: options.logger,
      validUntil: (answer) => (answer.changesAt ? Date.parse(answer.changesAt) : null),
      fetch: async (userId) => {
        const body = (await internalGet(
          target,
          ADMIN_GRANTS_PATH,
          new URLSearchParams({ user: userId }),
        )) as {
          grants?: unknown;
          changesAt?: unknown;
        };
        return {
          grants: parseGrants(body.grants),
          changesAt: typeof body.changesAt === 'string' ? body.changesAt : null,
        };
      },
    });
  }

  async of(userId: string): Promise<ScopedGrant[]> {
    try {
      return (await this.cache.get(userId)).grants;
    } catch {
      this.logger.warn({ userId }, 'acting without admin grants: the delegation service cannot be asked');
      return [];
    }
  }

  evict(userId: string): void {
    this.cache.evict(userId);
  }
}
