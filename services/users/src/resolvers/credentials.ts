import { policy } from '@concierge/kit';
import type { UsersContext } from '../context';
import { changePassword } from '../credentials/change-password';
import type { CredentialsDeps } from '../credentials/deps';
import { resetPassword } from '../credentials/reset-password';
import { logout, refreshSession, type Session } from '../credentials/sessions';
import { setPasswordWithToken } from '../credentials/set-password';
import { signIn } from '../credentials/sign-in';

/** What a credential use case needs from the request. */
function credentialDeps(ctx: UsersContext): CredentialsDeps {
  const { stores, settings, signAccessToken } = ctx.credentials;
  return {
    ...stores,
    users: ctx.users,
    settings,
    signAccessToken,
    contracts: ctx.runtime.contracts,
    logger: ctx.logger.child({ component: 'credentials' }),
    actor: ctx.principal.userId ?? 'anonymous',
    correlationId: ctx.correlationId,
  };
}

function graphSession(session: Session) {
  return {
    accessToken: session.accessToken,
    accessTokenExpiresAt: session.accessTokenExpiresAt.toISOString(),
    refreshToken: session.refreshToken,
    refreshTokenExpiresAt: session.refreshTokenExpiresAt.toISOString(),
  };
}

/**
 * Runs a use case and kicks the outbox relay so its events leave at once, also when it refuses
 * after writing some (credential.locked, credential.sessions-revoked on refresh-token reuse).
 */
async function thenRelay<T>(ctx: UsersContext, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } finally {
    ctx.runtime.relay.kick();
  }
}

/**
 * login, refreshSession, logout and setPassword are open to anonymous callers: the secret they
 * carry (password, refresh token, set-password token) is the proof, not the principal.
 * changePassword and resetPassword ask the policy.
 */
export const credentialMutations = {
  login: async (_: unknown, args: { login: string; password: string }, ctx: UsersContext) =>
    graphSession(await thenRelay(ctx, signIn(args.login, args.password, credentialDeps(ctx)))),
  refreshSession: async (_: unknown, args: { refreshToken: string }, ctx: UsersContext) =>
    graphSession(await thenRelay(ctx, refreshSession(args.refreshToken, credentialDeps(ctx)))),
  logout: (_: unknown, args: { refreshToken: string }, ctx: UsersContext) =>
    logout(args.refreshToken, credentialDeps(ctx)),
  setPassword: async (_: unknown, args: { token: string; password: string }, ctx: UsersContext) => {
    await thenRelay(ctx, setPasswordWithToken(args.token, args.password, credentialDeps(ctx)));
    return true;
  },
  changePassword: async (
    _: unknown,
    args: { currentPassword: string; newPassword: string },
    ctx: UsersContext,
  ) => {
    policy.requireUser(ctx.principal);
    const userId = ctx.principal.userId;
    policy.require(ctx.principal, 'credential:change-own', { userId });
    await thenRelay(ctx, changePassword(userId, args.currentPassword, args.newPassword, credentialDeps(ctx)));
    return true;
  },
  resetPassword: async (_: unknown, args: { userId: string }, ctx: UsersContext) => {
    policy.requireUser(ctx.principal);
    const user = await ctx.userById.load(args.userId);
    policy.require(ctx.principal, 'credential:reset', {
      userId: args.userId,
      organizationId: user?.organizationId,
    });
    await thenRelay(ctx, resetPassword(args.userId, credentialDeps(ctx)));
    return true;
  },
};
