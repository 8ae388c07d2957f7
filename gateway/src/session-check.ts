import { HttpError, SESSION_STATE_PATH, type Logger, type SessionState } from '@concierge/kit';
import { internalGet, UserAnswerCache } from './user-answer-cache';

export interface SessionCheckOptions {
  /** The users subgraph's GraphQL URL; the state route is on the same host. */
  usersUrl: string;
  /** The users subgraph's principal key (subgraphKey). */
  usersKey: Buffer;
  /** How long an answer is used before it is asked again, unless an event evicts it first. */
  ttlMs: number;
  /** How long an old answer still serves while the users service cannot be asked. */
  staleMs: number;
  logger: Logger;
}

/**
 * Whether an access token still stands, and the roles its user holds now: asked of the users
 * service per user and sign-in, cached for `ttlMs`, and dropped at once when an event about the
 * user arrives (revocation-feed.ts). So a suspension, termination, logout or session revocation
 * is refused within `ttlMs` at worst, and within the event's delivery time when the broker is up.
 */
export class SessionCheck {
  private readonly cache: UserAnswerCache<SessionState>;

  constructor(options: SessionCheckOptions) {
    const target = { graphqlUrl: options.usersUrl, subgraph: 'users', key: options.usersKey };
    this.cache = new UserAnswerCache<SessionState>({
      ttlMs: options.ttlMs,
      staleMs: options.staleMs,
      what: 'sign-in state',
      logger: options.logger,
      fetch: async (userId, sessionId) => {
        const params = new URLSearchParams({ user: userId, sid: sessionId });
        const body = (await internalGet(target, SESSION_STATE_PATH, params)) as Partial<SessionState>;
        return {
          active: body.active === true,
          roles: Array.isArray(body.roles)
            ? body.roles.filter((r): r is string => typeof r === 'string')
            : [],
        };
      },
    });
  }

  /** Whether the token's sign-in stands and the user's roles now; 401 when it has ended or the user is not active. */
  async stateFor(userId: string, sessionId: string | null): Promise<SessionState> {
    const state = await this.cache.get(userId, sessionId ?? '');
    if (!state.active) throw new HttpError(401, 'Session ended', 'UNAUTHENTICATED');
    return state;
  }

  /** Forgets every answer about a user (an event about them arrived). */
  evict(userId: string): void {
    this.cache.evict(userId);
  }
}
