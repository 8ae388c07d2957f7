import { NotFoundError } from '@concierge/kit';
import type { Organization } from '../organizations/organization.repository';
import { DuplicateUserError, type User } from './user.repository';
import type { AttributeInput } from './attributes';
import { duplicateConflict } from './create-user';
import { type UsersDeps } from './deps';
import { usersEvent } from '../shared/events';
import { nextDue } from './user-lifecycle';
import type { OrgTree } from '../organizations/org-tree';
import { resolvePlacement, type ManagerRef } from './placement';
import { loadTree } from '../organizations/org-tree';
import {
  checkDates,
  externalKeyOf,
  normalizeProfile,
  parseDate,
  type Profile,
  type ProfileInput,
} from './profile';

/** Fields to change; absent fields stay as they are, null clears an optional field. */
export interface UpdateUserInput extends ProfileInput {
  organizationId?: string | null;
  managerId?: string | null;
  attributes?: AttributeInput | null;
  startDate?: string | null;
  endDate?: string | null;
}

type Change = { before: unknown; after: unknown };

/** What an update writes: fields to set or unset and the events that describe it; null when nothing changes. */
export interface UpdatePlan {
  set: Partial<User>;
  unset: (keyof User)[];
  events: ReturnType<typeof usersEvent>[];
}

const PROFILE_FIELDS: (keyof Profile)[] = [
  'email',
  'username',
  'givenName',
  'familyName',
  'displayName',
  'title',
  'department',
  'externalId',
  'source',
];

const iso = (d: Date | null) => d?.toISOString() ?? null;

/**
 * Decides what an update of `current` changes: user.updated lists profile, date and attribute
 * changes with before and after; user.moved is emitted when organisation, manager or employee
 * type change (the mover flow). An update that changes nothing writes nothing and emits nothing.
 */
export async function planUpdate(
  current: User,
  input: UpdateUserInput,
  deps: UsersDeps,
  tree: OrgTree<Organization>,
  managers?: ReadonlyMap<string, ManagerRef>,
): Promise<UpdatePlan | null> {
  const profile = normalizeProfile(input, current);
  const startDate =
    input.startDate !== undefined ? parseDate('startDate', input.startDate) : current.startDate;
  const endDate = input.endDate !== undefined ? parseDate('endDate', input.endDate) : current.endDate;
  checkDates(startDate, endDate);
  const placement = await resolvePlacement(
    {
      organizationId: input.organizationId ?? current.organizationId,
      managerId: input.managerId !== undefined ? input.managerId : current.managerId,
      attributes: input.attributes !== undefined ? input.attributes : current.attributes,
    },
    current._id,
    deps,
    tree,
    managers,
  );

  const changes: Record<string, Change> = {};
  for (const field of PROFILE_FIELDS) {
    if (profile[field] !== current[field]) changes[field] = { before: current[field], after: profile[field] };
  }
  if (iso(startDate) !== iso(current.startDate)) {
    changes.startDate = { before: iso(current.startDate), after: iso(startDate) };
  }
  if (iso(endDate) !== iso(current.endDate))
    changes.endDate = { before: iso(current.endDate), after: iso(endDate) };
  const names = new Set([...Object.keys(current.attributes ?? {}), ...Object.keys(placement.attributes)]);
  for (const name of names) {
    const before = current.attributes?.[name] ?? null;
    const after = placement.attributes[name] ?? null;
    if (before !== after) changes[`attributes.${name}`] = { before, after };
  }
  const moved =
    placement.organizationId !== current.organizationId ||
    placement.managerId !== current.managerId ||
    profile.employeeType !== current.employeeType;
  if (Object.keys(changes).length === 0 && !moved) return null;

  const events = [];
  if (Object.keys(changes).length > 0) {
    events.push(usersEvent(deps, 'user.updated', current._id, { userId: current._id, changes }));
  }
  if (moved) {
    const where = (u: Pick<User, 'organizationId' | 'managerId' | 'employeeType'>) => ({
      organizationId: u.organizationId,
      managerId: u.managerId,
      employeeType: u.employeeType,
    });
    events.push(
      usersEvent(deps, 'user.moved', current._id, {
        userId: current._id,
        before: where(current),
        after: where({ ...placement, employeeType: profile.employeeType }),
      }),
    );
  }
  const due = nextDue(current.status, { startDate, endDate });
  const externalKey = externalKeyOf(profile);
  return {
    set: {
      ...profile,
      ...placement,
      startDate,
      endDate,
      dueAt: due?.at ?? null,
      dueAction: due?.action ?? null,
      ...(externalKey ? { externalKey } : {}),
    },
    unset: externalKey ? [] : ['externalKey'],
    events,
  };
}

/**
 * Changes a user's profile, placement, attributes or dates. Written as a compare-and-set on the
 * user's version: a concurrent change makes the write miss, and the update is decided anew.
 */
export async function updateUser(id: string, input: UpdateUserInput, deps: UsersDeps): Promise<User> {
  const tree = await loadTree(deps);
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await deps.users.findById(id);
    if (!current) throw new NotFoundError('User', id);
    const plan = await planUpdate(current, input, deps, tree);
    if (!plan) return current;
    try {
      if (await deps.users.update(id, current.outboxSeq, plan, plan.events)) {
        return (await deps.users.findById(id)) as User;
      }
    } catch (err) {
      if (err instanceof DuplicateUserError) {
        const value = err.field === 'externalId' ? plan.set.externalId : plan.set[err.field];
        throw duplicateConflict(err, String(value));
      }
      throw err;
    }
  }
  throw new Error(`user ${id} kept changing while being updated`);
}
