import { NotFoundError, policy } from '@concierge/kit';
import type { User } from '../data/user.repository';
import { changeStatus } from '../domain/change-status';
import { createUser, type CreateUserInput } from '../domain/create-user';
import type { LifecycleAction } from '../domain/lifecycle';
import type { UsersContext } from '../context';

/** What a users use case needs from the request: repository, contracts, who and which request. */
function useCaseDeps(ctx: UsersContext) {
  return {
    users: ctx.users,
    contracts: ctx.runtime.contracts,
    actor: ctx.principal.userId ?? 'anonymous',
    correlationId: ctx.correlationId,
  };
}

/** The on-demand lifecycle mutations: administrators only, one use case. */
function lifecycle(action: LifecycleAction) {
  return async (_: unknown, args: { id: string }, ctx: UsersContext) => {
    policy.requireAdmin(ctx.principal);
    const user = await changeStatus(args.id, action, useCaseDeps(ctx));
    ctx.runtime.relay.kick();
    return user;
  };
}

/** Only the user themselves or an administrator sees a user; others get null, as if absent. */
async function visibleUser(id: string, ctx: UsersContext): Promise<User | null> {
  policy.requireUser(ctx.principal);
  if (!policy.isSelfOrAdmin(ctx.principal, id)) return null;
  return ctx.userById.load(id);
}

export const resolvers = {
  Query: {
    user: (_: unknown, args: { id: string }, ctx: UsersContext) => visibleUser(args.id, ctx),
    me: async (_: unknown, __: unknown, ctx: UsersContext) => {
      policy.requireUser(ctx.principal);
      const user = await ctx.userById.load(ctx.principal.userId);
      if (!user) throw new NotFoundError('User', ctx.principal.userId);
      return user;
    },
  },
  Mutation: {
    createUser: async (_: unknown, args: { input: CreateUserInput }, ctx: UsersContext) => {
      policy.requireAdmin(ctx.principal);
      const user = await createUser(args.input, useCaseDeps(ctx));
      ctx.runtime.relay.kick();
      return user;
    },
    activateUser: lifecycle('ACTIVATE'),
    suspendUser: lifecycle('SUSPEND'),
    terminateUser: lifecycle('TERMINATE'),
  },
  User: {
    __resolveReference: (ref: { id: string }, ctx: UsersContext) => visibleUser(ref.id, ctx),
    id: (user: User) => user._id,
    createdAt: (user: User) => user.createdAt.toISOString(),
    startDate: (user: User) => user.startDate?.toISOString() ?? null,
    endDate: (user: User) => user.endDate?.toISOString() ?? null,
  },
};
