import { policy } from '@concierge/kit';
import type { User as UserRow } from '../data/user.repository';
import type { UsersContext } from '../context';

/** A user the caller may read, or null as if absent (so ids of others do not leak). */
export async function visibleUser(id: string, ctx: UsersContext): Promise<UserRow | null> {
  policy.requireUser(ctx.principal);
  const user = await ctx.userById.load(id);
  if (!user) return null;
  return policy.can(ctx.principal, 'user:read', { userId: user._id, organizationId: user.organizationId })
    ? user
    : null;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

export const User = {
  __resolveReference: (ref: { id: string }, ctx: UsersContext) => visibleUser(ref.id, ctx),
  id: (user: UserRow) => user._id,
  organization: async (user: UserRow, _: unknown, ctx: UsersContext) =>
    (await ctx.tree()).get(user.organizationId),
  manager: (user: UserRow, _: unknown, ctx: UsersContext) =>
    user.managerId ? visibleUser(user.managerId, ctx) : null,
  directReports: async (user: UserRow, _: unknown, ctx: UsersContext) =>
    (await ctx.directReports.load(user._id)).filter((u) =>
      policy.can(ctx.principal, 'user:read', { userId: u._id, organizationId: u.organizationId }),
    ),
  attributes: async (user: UserRow, _: unknown, ctx: UsersContext) => {
    const definitions = (await ctx.tree()).effectiveDefinitions(user.organizationId);
    return Object.entries(user.attributes ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({
        name,
        value: String(value),
        type: definitions.get(name)?.type ?? 'STRING',
      }));
  },
  startDate: (user: UserRow) => iso(user.startDate),
  endDate: (user: UserRow) => iso(user.endDate),
  createdAt: (user: UserRow) => user.createdAt.toISOString(),
  updatedAt: (user: UserRow) => user.updatedAt.toISOString(),
};
