import { Delegation, deputiesMutations, deputiesQueries, User } from './deputies/resolvers';

/** The subgraph's resolvers, merged from its components. */
export const resolvers = {
  Query: { ...deputiesQueries },
  Mutation: { ...deputiesMutations },
  User,
  Delegation,
};
