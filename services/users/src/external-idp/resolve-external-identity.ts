import {
  DomainError,
  type ExternalIdentity,
  type ExternalIdentityState,
  type ExternalMapping,
  type Logger,
} from '@concierge/kit';
import type { CredentialRepository } from '../credentials/credential.repository';
import type { UsersDeps } from '../directory/deps';
import { DuplicateUserError, type User } from '../directory/user.repository';
import { prepareUser } from '../directory/create-user';
import { normalizeEmail } from '../directory/profile';
import { loadTree } from '../organizations/org-tree';

/** Who the events of a user created for an external sign-in name as their cause. */
export const EXTERNAL_IDP_ACTOR = 'system:external-idp';

export interface ResolveOptions {
  mapBy: ExternalMapping;
  /** The code of the organisation an unknown identity is created in (PENDING); null: never create. */
  createIn: string | null;
}

export interface ExternalIdentityDeps extends UsersDeps {
  credentials: Pick<CredentialRepository, 'findById'>;
  logger: Logger;
}

const UNKNOWN: ExternalIdentityState = Object.freeze({ userId: null, active: false, roles: [] });

/** The stored key of an external identity: an issuer has no fragment, so `#` cannot occur in it. */
export function externalSubjectKey(issuer: string, subject: string): string {
  return `${issuer}#${subject}`;
}

/**
 * Which local user an external identity stands for, whether they may act (ACTIVE), and their
 * roles now. Mapped by subject (issuer#subject, set when the user was created for it) or by
 * e-mail, each one equality read on a unique index. An unknown identity is created PENDING when
 * `createIn` names an organisation: it cannot act until an administrator activates it.
 */
export async function resolveExternalIdentity(
  identity: ExternalIdentity,
  options: ResolveOptions,
  deps: ExternalIdentityDeps,
): Promise<ExternalIdentityState & { created: boolean }> {
  const key = externalSubjectKey(identity.issuer, identity.subject);
  const email = emailOf(identity.email);
  let user = await find(key, email, options.mapBy, deps);
  let created = false;
  if (!user && options.createIn !== null && email !== null) {
    user = await createPending(identity, key, email, options.createIn, deps);
    created = user !== null;
  }
  if (!user) return { ...UNKNOWN, created };
  if (user.status !== 'ACTIVE') return { userId: user._id, active: false, roles: [], created };
  // The external provider vouches for the person; the roles are Concierge's, from the store.
  const credential = await deps.credentials.findById(user._id);
  return { userId: user._id, active: true, roles: credential?.globalRoles ?? [], created };
}

function emailOf(raw: string | null): string | null {
  if (raw === null) return null;
  try {
    return normalizeEmail(raw);
  } catch {
    return null;
  }
}

async function find(
  key: string,
  email: string | null,
  mapBy: ExternalMapping,
  deps: Pick<UsersDeps, 'users'>,
): Promise<User | null> {
  if (mapBy === 'subject') return deps.users.findByExternalSubject(key);
  return email === null ? null : deps.users.findByEmail(email);
}

/**
 * Creates the PENDING user of an unknown identity, with its user.created event in the same write.
 * Two first requests at once (two gateway replicas) meet at the unique indexes: the loser reads
 * the winner's user. An e-mail address that already belongs to another user is never taken over:
 * the identity stays unknown.
 */
async function createPending(
  identity: ExternalIdentity,
  key: string,
  email: string,
  organizationCode: string,
  deps: ExternalIdentityDeps,
): Promise<User | null> {
  const tree = await loadTree(deps);
  const organization = tree.all().find((o) => o.code === organizationCode);
  if (!organization) {
    deps.logger.error({ organizationCode }, 'organisation for users of the external provider does not exist');
    return null;
  }
  let prepared: Awaited<ReturnType<typeof prepareUser>>;
  try {
    prepared = await prepareUser(
      {
        email,
        organizationId: organization._id,
        givenName: identity.givenName,
        familyName: identity.familyName,
        displayName: identity.name ?? (identity.givenName || identity.familyName ? null : email),
      },
      { ...deps, actor: EXTERNAL_IDP_ACTOR },
      tree,
      undefined,
      { pending: true },
    );
  } catch (err) {
    // A claim the directory refuses (a name too long): the identity stays unknown.
    if (!(err instanceof DomainError)) throw err;
    deps.logger.warn({ reason: err.extensions.reason }, 'external identity not created: profile refused');
    return null;
  }
  try {
    return await deps.users.insert({ ...prepared.user, externalSubject: key }, [prepared.event]);
  } catch (err) {
    if (!(err instanceof DuplicateUserError)) throw err;
    const existing = await deps.users.findByExternalSubject(key);
    if (existing) return existing;
    deps.logger.warn({ field: err.field }, 'external identity not created: its e-mail or username is taken');
    return null;
  }
}
