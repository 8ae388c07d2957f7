import type { SessionState } from '@concierge/kit';
import type { CredentialStores } from './credential.repository';
import type { UserRepository } from '../directory/user.repository';

const ENDED: SessionState = Object.freeze({ active: false, roles: [] }) as SessionState;

/**
 * The state of a user and of one of their sign-ins (`sessionId`, the refresh-token family; none
 * for a token from the token command or the external provider): three reads by _id or an indexed
 * field.
 */
export async function sessionState(
  userId: string,
  sessionId: string | null,
  stores: {
    users: UserRepository;
    credentials: CredentialStores['credentials'];
    refreshTokens: CredentialStores['refreshTokens'];
  },
  now = new Date(),
): Promise<SessionState> {
  const [user, credential, member] = await Promise.all([
    stores.users.findById(userId),
    stores.credentials.findById(userId),
    sessionId ? stores.refreshTokens.anyOfFamily(sessionId) : Promise.resolve(null),
  ]);
  if (!user || user.status !== 'ACTIVE') return ENDED;
  // Without a sign-in (a token of the token command, or of the external provider, whose users may
  // never have had a password here) the user's status alone decides.
  if (!sessionId) return { active: true, roles: credential?.globalRoles ?? [] };
  if (!credential) return ENDED;
  // A revocation marks every token of the family; an expired family has ended too.
  if (!member || member.userId !== userId || member.revokedAt) return ENDED;
  if (member.expiresAt.getTime() <= now.getTime()) return ENDED;
  const cutoff = credential.sessionsRevokedAt;
  if (cutoff && member.familyIssuedAt.getTime() <= cutoff.getTime()) return ENDED;
  return { active: true, roles: credential.globalRoles };
}
