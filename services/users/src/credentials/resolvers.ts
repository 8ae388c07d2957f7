import { policy } from '@concierge/kit';
import type DataLoader from 'dataloader';
import type { User, UserRepository } from '../directory/user.repository';
import type { ServiceContext } from '../shared/request';
import type { CredentialRuntime } from './runtime';
import { changePassword } from './change-password';
import type { CredentialsDeps } from './deps';
import { resetPassword } from './reset-password';
import { logout, refreshSession, type Session } from './sessions';
import { setPasswordWithToken } from './set-password';
import { signIn } from './sign-in';
import type { OrgTree } from '../organizations/org-tree';
import type { Organization } from '../organizations/organization.repository';
import { placeOf } from '../organizations/org-scope';

/** What the credential resolvers need of a request. */
export interface CredentialsContext extends ServiceContext {
  users: UserRepository;
  userById: DataLoader<string, User | null>;
  /** Credential stores, settings and the access-token signer (one per process). */
  credentials: CredentialRuntime;
  /** The organisation tree, loaded once per request (scoped roles are checked against it). */
  tree(): Promise<OrgTree<Organization>>;
}

/** What a credential use case needs from the request. */
function credentialDeps(ctx: CredentialsContext): CredentialsDeps {
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
    clientAddress: ctx.clientAddress,
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
 * login, refreshSession, logout and setPassword are open to anonymous callers: the secret they
 * carry (password, refresh token, set-password token) is the proof, not the principal.
 * changePassword and resetPassword ask the policy.
 */
export const credentialMutations = {
  login: async (_: unknown, args: { login: string; password: string }, ctx: CredentialsContext) =>
    graphSession(await signIn(args.login, args.password, credentialDeps(ctx))),
  refreshSession: async (_: unknown, args: { refreshToken: string }, ctx: CredentialsContext) =>
    graphSession(await refreshSession(args.refreshToken, credentialDeps(ctx))),
  logout: (_: unknown, args: { refreshToken: string }, ctx: CredentialsContext) =>
    logout(args.refreshToken, credentialDeps(ctx)),
  setPassword: async (_: unknown, args: { token: string; password: string }, ctx: CredentialsContext) => {
    await setPasswordWithToken(args.token, args.password, credentialDeps(ctx));
    return true;
  },
  changePassword: async (
    _: unknown,
    args: { currentPassword: string; newPassword: string },
    ctx: CredentialsContext,
  ) => {
    policy.requireUser(ctx.principal);
    const userId = ctx.principal.userId;
    policy.require(ctx.principal, 'credential:change-own', { userId });
    await changePassword(userId, args.currentPassword, args.newPassword, credentialDeps(ctx));
    return true;
  },
  resetPassword: async (_: unknown, args: { userId: string }, ctx: CredentialsContext) => {
    policy.requireUser(ctx.principal);
    const [user, tree] = await Promise.all([ctx.userById.load(args.userId), ctx.tree()]);
    policy.require(ctx.principal, 'credential:reset', {
      userId: args.userId,
      ...placeOf(user?.organizationId, tree),
    });
    await resetPassword(args.userId, credentialDeps(ctx));
    return true;
  },
};
