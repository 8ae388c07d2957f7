import {
  ANONYMOUS,
  HttpError,
  internalOperation,
  SESSION_STATE_PATH,
  signPrincipal,
  type Logger,
  type Principal,
  type SessionState,
} from '@concierge/kit';

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

interface Entry {
  state: SessionState;
  at: number;
}

/** Answers remembered at most; beyond, the least recently asked are dropped. */
const MAX_ENTRIES = 100_000;

/**
 * Whether an access token still stands, and the roles its user holds now: asked of the users
 * service per user and sign-in, cached for `ttlMs`, and dropped at once when an event about the
 * user arrives (revocation-feed.ts). So a suspension, termination, logout or session revocation
 * is refused within `ttlMs` at worst, and within the event's delivery time when the broker is up.
 */
export class SessionCheck {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<SessionState>>();
  private readonly stateUrl: URL;
  /** Counts evictions, so an answer fetched across one is not cached (it may predate the change). */
  private evictions = 0;

  constructor(private readonly options: SessionCheckOptions) {
    this.stateUrl = new URL(SESSION_STATE_PATH, options.usersUrl);
  }

  /** The principal for a verified token; 401 when its sign-in has ended or its user is not active. */
  async principalFor(userId: string, sessionId: string | null): Promise<Principal> {
    const state = await this.state(userId, sessionId);
    if (!state.active) throw new HttpError(401, 'Session ended', 'UNAUTHENTICATED');
    return { kind: 'user', userId, roles: state.roles };
  }

  /** Forgets every answer about a user (an event about them arrived). */
  evict(userId: string): void {
    this.evictions += 1;
    const prefix = `${userId}\0`;
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }

  private async state(userId: string, sessionId: string | null): Promise<SessionState> {
    const key = `${userId}\0${sessionId ?? ''}`;
    const now = Date.now();
    const cached = this.entries.get(key);
    if (cached && now - cached.at < this.options.ttlMs) return cached.state;
    const epoch = this.evictions;
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.fetchState(userId, sessionId).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    try {
      const state = await pending;
      if (epoch !== this.evictions) return state;
      this.entries.delete(key);
      this.entries.set(key, { state, at: now });
      if (this.entries.size > MAX_ENTRIES) {
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
      return state;
    } catch (err) {
      if (cached && now - cached.at < this.options.staleMs) return cached.state;
      this.options.logger.warn({ err, userId }, 'session state unavailable');
      throw new HttpError(503, 'Sign-in state is unavailable; try again shortly', 'SERVICE_UNAVAILABLE');
    }
  }

  private async fetchState(userId: string, sessionId: string | null): Promise<SessionState> {
    const params = new URLSearchParams({ user: userId, sid: sessionId ?? '' });
    const url = new URL(this.stateUrl);
    url.search = params.toString();
    const headers = signPrincipal(
      ANONYMOUS,
      this.options.usersKey,
      internalOperation('users', SESSION_STATE_PATH, params),
    );
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(3_000) });
    if (!res.ok) throw new Error(`session state answered ${res.status}`);
    const body = (await res.json()) as Partial<SessionState>;
    return {
      active: body.active === true,
      roles: Array.isArray(body.roles) ? body.roles.filter((r): r is string => typeof r === 'string') : [],
    };
  }
}
