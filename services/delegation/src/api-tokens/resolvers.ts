import { policy } from '@concierge/kit';
import { callerDeps } from '../shared/caller';
import { statusOf, type ApiToken as TokenRow, type TokenInput } from './api-token';
import type { ApiTokensContext } from './context';
import { createToken } from './create-token';
import type { ApiTokensDeps } from './deps';
import { revokeToken } from './revoke-token';
import { managesTokensOf } from './token-authority';

function tokensDeps(ctx: ApiTokensContext): ApiTokensDeps {
  return {
    ...callerDeps(ctx),
    tokens: ctx.tokens,
    organizations: ctx.organizations,
    applications: ctx.applications,
  };
}

/** Newest first, ended ones only when asked for. */
function shown(tokens: TokenRow[], includeEnded: boolean): TokenRow[] {
  const now = new Date();
  return tokens
    .filter((t) => includeEnded || statusOf(t, now) === 'ACTIVE')
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || a._id.localeCompare(b._id));
}

export const ApiToken = {
  id: (t: TokenRow) => t._id,
  organization: (t: TokenRow) => ({ __typename: 'Organization', id: t.organizationId }),
  applications: (t: TokenRow) => (t.applicationIds ?? []).map((id) => ({ __typename: 'Application', id })),
  expiresAt: (t: TokenRow) => t.expiresAt.toISOString(),
  status: (t: TokenRow) => statusOf(t, new Date()),
  creator: (t: TokenRow) => ({ __typename: 'User', id: t.creatorId }),
  createdAt: (t: TokenRow) => t.createdAt.toISOString(),
  lastUsedAt: async (t: TokenRow, _: unknown, ctx: ApiTokensContext) =>
    (await ctx.tokenUsage.load(t._id))?.lastUsedAt.toISOString() ?? null,
  revokedAt: (t: TokenRow) => t.revokedAt?.toISOString() ?? null,
};

export const apiTokensQueries = {
  myApiTokens: async (_: unknown, args: { includeEnded: boolean }, ctx: ApiTokensContext) => {
    policy.requireUser(ctx.principal);
    return shown(await ctx.tokens.createdBy(ctx.principal.userId), args.includeEnded);
  },
  apiTokens: async (
    _: unknown,
    args: { organizationId: string; includeEnded: boolean },
    ctx: ApiTokensContext,
  ) => {
    policy.requireUser(ctx.principal);
    const path = await ctx.organizations.path(args.organizationId);
    if (!managesTokensOf(ctx.principal, args.organizationId, path)) return [];
    return shown(await ctx.tokens.ofOrganization(args.organizationId), args.includeEnded);
  },
};

export const apiTokensMutations = {
  createApiToken: (_: unknown, args: { input: TokenInput }, ctx: ApiTokensContext) =>
    createToken(args.input, tokensDeps(ctx)),
  revokeApiToken: (_: unknown, args: { id: string; reason?: string | null }, ctx: ApiTokensContext) =>
    revokeToken(args.id, { reason: args.reason }, tokensDeps(ctx)),
};
