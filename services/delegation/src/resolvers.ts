import {
  AdminRoleAssignment,
  adminRolesMutations,
  adminRolesQueries,
  adminRolesUserFields,
} from './admin-roles/resolvers';
import { ApiToken, apiTokensMutations, apiTokensQueries } from './api-tokens/resolvers';
import { Delegation, deputiesMutations, deputiesQueries, User } from './deputies/resolvers';

/** The subgraph's resolvers, merged from its components. */
export const resolvers = {
  Query: { ...deputiesQueries, ...adminRolesQueries, ...apiTokensQueries },
  Mutation: { ...deputiesMutations, ...adminRolesMutations, ...apiTokensMutations },
  User: { ...User, ...adminRolesUserFields },
  Delegation,
  AdminRoleAssignment,
  ApiToken,
};
