import { randomUUID } from 'node:crypto';
import type { RefreshToken } from './session.repository';
import { usersEvent } from '../shared/events';
import { sessionEnded } from './credential.errors';
import { nowOf, type CredentialsDeps } from './deps';
import { hashOneTimeToken, isWellFormedToken, issueOneTimeToken } from './one-time-token';

/** What sign-in and refresh return; the refresh token exists in clear only here. */
export interface Session {
  accessToken: string;
  accessTokenExpiresAt: Date;
  refreshToken: string;
  refreshTokenExpiresAt: Date;
}

/** Starts a sign-in: a new refresh-token family and an access token carrying the user's roles. */
export async function openSession(userId: string, roles: string[], deps: CredentialsDeps): Promise<Session> {
  const now = nowOf(deps);
  const { token, hash } = issueOneTimeToken();
  const expiresAt = new Date(now.getTime() + deps.settings.refreshTokenTtlMs);
  const familyId = randomUUID();
  await deps.refreshTokens.insertFirst({
    _id: hash,
    userId,
    familyId,
    familyIssuedAt: now,
    expiresAt,
    createdAt: now,
  });
  const access = await deps.signAccessToken({ userId, roles, sessionId: familyId });
  return {
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt,
    refreshToken: token,
    refreshTokenExpiresAt: expiresAt,
  };
}

/**
 * A rotated token presented again means two parties hold the sign-in (RFC 9700 section 4.14.2,
 * refresh token rotation): the whole family is revoked and credential.sessions-revoked published.
 */
async function revokeForReuse(record: RefreshToken, deps: CredentialsDeps): Promise<void> {
  const revoked = await deps.refreshTokens.revokeFamily(record.familyId, nowOf(deps));
  deps.logger.warn(
    { userId: record.userId, familyId: record.familyId, revoked },
    'rotated refresh token presented again; its sign-in is revoked',
  );
  if (revoked === 0) return; // revoked before: already reported
  const event = usersEvent(deps, 'credential.sessions-revoked', record.userId, {
    userId: record.userId,
    reason: 'REFRESH_TOKEN_REUSE',
    familyId: record.familyId,
  });
  await deps.credentials.update(record.userId, {}, [event]);
}

/**
 * Exchanges a refresh token for a new session: the token presented stops working, its successor
 * keeps the family's expiry. Refused (UNAUTHENTICATED, one message) when the token is unknown,
 * expired, revoked or rotated already, when the user is no longer ACTIVE, or when the user's
 * sessions were revoked after this sign-in began.
 */
export async function refreshSession(refreshToken: string, deps: CredentialsDeps): Promise<Session> {
  if (!isWellFormedToken(refreshToken)) throw sessionEnded();
  const now = nowOf(deps);
  const hash = hashOneTimeToken(refreshToken);
  const record = await deps.refreshTokens.findById(hash);
  if (!record) throw sessionEnded();
  if (record.replacedBy) {
    await revokeForReuse(record, deps);
    throw sessionEnded();
  }
  if (record.revokedAt || record.expiresAt.getTime() <= now.getTime()) throw sessionEnded();
  // The status is read on every refresh, so a crash between a suspension and the revocation of the
  // user's tokens leaves no working session.
  const [user, credential] = await Promise.all([
    deps.users.findById(record.userId),
    deps.credentials.findById(record.userId),
  ]);
  if (!user || user.status !== 'ACTIVE' || !credential) throw sessionEnded();
  const cutoff = credential.sessionsRevokedAt;
  if (cutoff && record.familyIssuedAt.getTime() <= cutoff.getTime()) throw sessionEnded();

  const next = issueOneTimeToken();
  const claimed = await deps.refreshTokens.insertSuccessor({
    _id: next.hash,
    userId: record.userId,
    familyId: record.familyId,
    familyIssuedAt: record.familyIssuedAt,
    parentId: hash,
    expiresAt: record.expiresAt,
    createdAt: now,
  });
  if (!claimed) {
    // A concurrent refresh with the same token won: the same token was used twice.
    await revokeForReuse(record, deps);
    throw sessionEnded();
  }
  // A family revocation that ran between our read and our insert did not see the successor.
  const parent = await deps.refreshTokens.findById(hash);
  if (parent?.revokedAt) {
    await deps.refreshTokens.revokeFamily(record.familyId, now);
    throw sessionEnded();
  }
  await deps.refreshTokens.markReplaced(hash, next.hash);
  const access = await deps.signAccessToken({
    userId: record.userId,
    roles: credential.globalRoles,
    sessionId: record.familyId,
  });
  return {
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt,
    refreshToken: next.token,
    refreshTokenExpiresAt: record.expiresAt,
  };
}

/**
 * Ends the sign-in a refresh token belongs to, and publishes credential.sessions-revoked so the
 * gateway refuses its access tokens too; false when it was unknown or had ended already.
 */
export async function logout(refreshToken: string, deps: CredentialsDeps): Promise<boolean> {
  if (!isWellFormedToken(refreshToken)) return false;
  const record = await deps.refreshTokens.findById(hashOneTimeToken(refreshToken));
  if (!record || record.revokedAt) return false;
  if ((await deps.refreshTokens.revokeFamily(record.familyId, nowOf(deps))) === 0) return false;
  const event = usersEvent(deps, 'credential.sessions-revoked', record.userId, {
    userId: record.userId,
    reason: 'LOGOUT',
    familyId: record.familyId,
  });
  await deps.credentials.update(record.userId, {}, [event]);
  return true;
}
