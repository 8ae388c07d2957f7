import { randomUUID } from 'node:crypto';
import { ConflictError } from '@concierge/kit';
import type { Organization } from '../organizations/organization.repository';
import { DuplicateUserError, type User, type UniqueField } from './user.repository';
import type { CredentialEffects } from './credential-effects';
import type { AttributeInput } from './attributes';
import { type UsersDeps } from './deps';
import { usersEvent } from '../shared/events';
import { initialStatus, nextDue } from './user-lifecycle';
import type { OrgTree } from '../organizations/org-tree';
import { resolvePlacement, type ManagerRef } from './placement';
import { loadTree } from '../organizations/org-tree';
import { checkDates, externalKeyOf, normalizeProfile, parseDate, type ProfileInput } from './profile';
import { USER_ERRORS } from './directory.errors';

export interface CreateUserInput extends ProfileInput {
  email: string;
  organizationId: string;
  managerId?: string | null;
  attributes?: AttributeInput | null;
  /** ISO 8601 date-time; a future start date keeps the user PENDING until then. */
  startDate?: string | null;
  /** ISO 8601 date-time, after the start date; the user is terminated then. */
  endDate?: string | null;
}

/** The CONFLICT a duplicate unique value becomes, naming the field. */
export function duplicateConflict(err: DuplicateUserError, value: string): ConflictError {
  const labels: Record<UniqueField, string> = {
    email: 'e-mail',
    username: 'username',
    externalId: 'external id',
  };
  const reasons: Record<UniqueField, string> = {
    email: USER_ERRORS.EMAIL_TAKEN,
    username: USER_ERRORS.USERNAME_TAKEN,
    externalId: USER_ERRORS.EXTERNALID_TAKEN,
  };
  return new ConflictError(`A user with ${labels[err.field]} ${value} already exists`, {
    field: err.field,
    reason: reasons[err.field],
  });
}

/**
 * Checks a new user; returns the document to insert and its user.created event. `pending` keeps
 * the user PENDING without a start date, until an administrator activates them (a user created
 * just in time for an external sign-in).
 */
export async function prepareUser(
  input: CreateUserInput,
  deps: UsersDeps,
  tree: OrgTree<Organization>,
  managers?: ReadonlyMap<string, ManagerRef>,
  options: { pending?: boolean } = {},
) {
  const profile = normalizeProfile(input);
  const startDate = parseDate('startDate', input.startDate);
  const endDate = parseDate('endDate', input.endDate);
  checkDates(startDate, endDate);
  const placement = await resolvePlacement(
    {
      organizationId: input.organizationId,
      managerId: input.managerId ?? null,
      attributes: input.attributes,
    },
    null,
    deps,
    tree,
    managers,
  );

  const id = randomUUID();
  const status = options.pending ? 'PENDING' : initialStatus({ startDate }, deps.now ?? new Date());
  const due = nextDue(status, { startDate, endDate });
  const externalKey = externalKeyOf(profile);
  const event = usersEvent(deps, 'user.created', id, {
    userId: id,
    ...profile,
    ...placement,
    status,
    startDate: startDate?.toISOString() ?? null,
    endDate: endDate?.toISOString() ?? null,
  });
  const user = {
    _id: id,
    ...profile,
    ...(externalKey ? { externalKey } : {}),
    ...placement,
    status,
    startDate,
    endDate,
    dueAt: due?.at ?? null,
    dueAction: due?.action ?? null,
  };
  return { user, event };
}

/**
 * Creates a user and its user.created event in the same write. A user who starts ACTIVE gets a
 * set-password token first, and its credential.set-password-issued rides in that write too.
 */
export async function createUser(
  input: CreateUserInput,
  deps: UsersDeps & { credentialEffects?: CredentialEffects },
): Promise<User> {
  const { user, event } = await prepareUser(input, deps, await loadTree(deps));
  const credentialEvents =
    user.status === 'ACTIVE' && deps.credentialEffects
      ? await deps.credentialEffects.beforeActivation(user, deps)
      : [];
  try {
    return await deps.users.insert(user, [event, ...credentialEvents]);
  } catch (err) {
    if (err instanceof DuplicateUserError) {
      throw duplicateConflict(err, err.field === 'externalId' ? String(user.externalId) : user[err.field]);
    }
    throw err;
  }
}
