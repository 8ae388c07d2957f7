import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  API_TOKEN_PATH,
  headerValue,
  HttpError,
  tokenGrants,
  type ApiTokenState,
  type Logger,
  type Principal,
} from '@concierge/kit';
import { internalGet, UserAnswerCache } from './user-answer-cache';

/** What every API token starts with (the delegation service mints them so). */
const TOKEN = /^cct_([0-9a-f-]{36})\.([A-Za-z0-9_-]{43})$/;

/** One answer for every refused API token (unknown, wrong secret, revoked, expired, creator gone). */
const refused = () => new HttpError(401, 'Invalid token', 'UNAUTHENTICATED');

export interface ApiTokensOptions {
  /** The delegation subgraph's GraphQL URL; the token route is on the same host. */
  delegationUrl: string;
  delegationKey: Buffer;
  ttlMs: number;
  staleMs: number;
  logger: Logger;
  /** The creator's principal now: ACTIVE or 401, their roles and admin grants. */
  creator: (userId: string) => Promise<Principal>;
}

/**
 * Scoped API tokens at the gateway. A presented token is checked by the delegation service (the
 * secret's SHA-256 against the stored hash, in force), the answer cached until it expires or for
 * the cache lifetime, and dropped when an event about the token arrives (revocation). Its
 * principal is built at every use: the creator's grants now, cut to the token's capabilities and
 * confined to its organisation and applications. It acts as `api-token:<id>`, never as its creator.
 */
export class ApiTokens {
  private readonly cache: UserAnswerCache<ApiTokenState>;

  constructor(private readonly options: ApiTokensOptions) {
    const target = { graphqlUrl: options.delegationUrl, subgraph: 'delegation', key: options.delegationKey };
    this.cache = new UserAnswerCache<ApiTokenState>({
      ttlMs: options.ttlMs,
      staleMs: options.staleMs,
      what: 'token state',
      logger: options.logger,
      // A refused secret is not kept: presenting random ones must not crowd out real answers.
      keep: (answer) => answer.valid,
      validUntil: (answer) => (answer.valid ? Date.parse(answer.expiresAt) : null),
      fetch: async (id, digest) =>
        (await internalGet(target, API_TOKEN_PATH, new URLSearchParams({ id, digest }))) as ApiTokenState,
    });
  }

  /** Whether a bearer value is an API token (rather than a JWT). */
  static matches(bearer: string): boolean {
    return bearer.startsWith('cct_');
  }

  /** The principal of a presented token; 401 for any token that does not stand. */
  async principalFor(bearer: string): Promise<Principal> {
    const match = TOKEN.exec(bearer);
    if (!match) throw refused();
    const [, id, secret] = match as unknown as [string, string, string];
    const digest = createHash('sha256').update(secret).digest('base64url');
    const state = await this.cache.get(id, digest);
    if (!state.valid || Date.parse(state.expiresAt) <= Date.now()) throw refused();
    let creator: Principal;
    try {
      creator = await this.options.creator(state.creatorId);
    } catch (err) {
      if (err instanceof HttpError && err.status === 401) throw refused();
      throw err;
    }
    const grants = tokenGrants(creator, state);
    return {
      kind: 'user',
      userId: `api-token:${state.tokenId}`,
      roles: [],
      ...(grants.length > 0 ? { grants } : {}),
    };
  }

  /** Forgets a token's answers (an event about it arrived). */
  evict(tokenId: string): void {
    this.cache.evict(tokenId);
  }
}

/** Sends a bearer API token to `tokens`, and every other request, unchanged, to `next`. */
export function withApiTokens(
  next: (req: IncomingMessage) => Promise<Principal>,
  tokens: ApiTokens,
): (req: IncomingMessage) => Promise<Principal> {
  return async (req) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(headerValue(req, 'authorization') ?? '')?.[1];
    if (bearer && ApiTokens.matches(bearer)) return tokens.principalFor(bearer);
    return next(req);
  };
}
