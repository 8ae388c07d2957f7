import { BadInputError, policy } from '@concierge/kit';
import type { NotificationsContext } from '../context';
import type { Notification } from '../data/notification.repository';

export const resolvers = {
  User: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    notifications: async (user: { id: string }, args: { first: number }, ctx: NotificationsContext) => {
      policy.requireSelfOrAdmin(ctx.principal, user.id);
      if (args.first < 1 || args.first > 100)
        throw new BadInputError('first', 'first must be between 1 and 100');
      return (await ctx.notificationsByUser.load(user.id)).slice(0, args.first);
    },
  },
  Notification: {
    id: (n: Notification) => n._id,
    createdAt: (n: Notification) => n.createdAt.toISOString(),
    readAt: (n: Notification) => n.readAt?.toISOString() ?? null,
  },
};
