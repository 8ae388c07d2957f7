import { inboxMutations, inboxQueries, Notification, User } from './inbox/resolvers';

export const resolvers = {
  Query: { ...inboxQueries },
  Mutation: { ...inboxMutations },
  User,
  Notification,
};
