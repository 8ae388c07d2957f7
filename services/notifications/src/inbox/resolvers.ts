import type DataLoader from 'dataloader';
import { policy, type RequestContext } from '@concierge/kit';
import { inboxPageQuery, latest, pageSize, type InboxPageArgs } from './inbox-page';
import { linkPath } from './links';
import { listMyNotifications } from './list-my-notifications';
import { markAllNotificationsRead, markNotificationRead } from './mark-read';
import type { Notification as Stored, NotificationRepository } from './notification.repository';

/** What the inbox resolvers need of a request. */
export interface InboxContext extends RequestContext {
  notifications: NotificationRepository;
  /** Many users' inboxes in one batch (User.notifications under _entities). */
  notificationsByUser: DataLoader<string, Stored[]>;
}

export const inboxQueries = {
  myNotifications: async (_: unknown, args: InboxPageArgs, ctx: InboxContext) => {
    policy.requireUser(ctx.principal);
    return listMyNotifications(ctx.principal.userId, inboxPageQuery(args), ctx.notifications);
  },
};

export const inboxMutations = {
  markNotificationRead: async (_: unknown, args: { id: string }, ctx: InboxContext) => {
    policy.requireUser(ctx.principal);
    return markNotificationRead(ctx.principal.userId, args.id, ctx.notifications);
  },
  markAllNotificationsRead: async (_: unknown, _args: unknown, ctx: InboxContext) => {
    policy.requireUser(ctx.principal);
    return markAllNotificationsRead(ctx.principal.userId, ctx.notifications);
  },
};

export const User = {
  __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
  notifications: async (user: { id: string }, args: { first?: number | null }, ctx: InboxContext) => {
    policy.requireUser(ctx.principal);
    const first = pageSize(args.first);
    // Someone else's inbox reads as empty: a denial says nothing of the person.
    if (!policy.isSelfOrAdmin(ctx.principal, user.id)) return [];
    return latest(await ctx.notificationsByUser.load(user.id), first);
  },
};

export const Notification = {
  id: (n: Stored) => n._id,
  link: (n: Stored) => (n.link ? { kind: n.link.kind, id: n.link.id, path: linkPath(n.link) } : null),
  onBehalfOf: (n: Stored) => (n.onBehalfOf ?? []).map((id) => ({ id })),
  createdAt: (n: Stored) => n.createdAt.toISOString(),
  readAt: (n: Stored) => n.readAt?.toISOString() ?? null,
};
