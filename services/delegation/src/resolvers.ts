import {
  AdminRoleAssignment,
  adminRolesMutations,
  adminRolesQueries,
  adminRolesUserFields,
} from './admin-roles/resolvers';
import { Delegation, deputiesMutations, deputiesQueries, User } from './deputies/resolvers';

/** The subgraph's resolvers, merged from its components. */
export const resolvers = {
  Query: { ...deputiesQueries, ...adminRolesQueries },
  Mutation: { ...deputiesMutations, ...adminRolesMutations },
  User: { ...User, ...adminRolesUserFields },
  Delegation,
  AdminRoleAssignment,
};
