import { NotFoundError, policy } from '@concierge/kit';
import type { User } from '../data/user.repository';
import { createUser, type CreateUserInput } from '../domain/create-user';
import type { UsersContext } from '../context';

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
      const user = await createUser(args.input, {
        users: ctx.users,
        contracts: ctx.runtime.contracts,
        actor: ctx.principal.userId ?? 'anonymous',
        correlationId: ctx.correlationId,
      });
      ctx.runtime.relay.kick();
      return user;
    },
  },
  User: {
    __resolveReference: (ref: { id: string }, ctx: UsersContext) => visibleUser(ref.id, ctx),
    id: (user: User) => user._id,
    createdAt: (user: User) => user.createdAt.toISOString(),
  },
};
