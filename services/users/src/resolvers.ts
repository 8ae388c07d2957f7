import type { UsersContext } from './context';
import { AuditRecord, auditQueries } from './audit/resolvers';
import { credentialMutations } from './credentials/resolvers';
import { directoryMutations, directoryQueries, User, UserConnection } from './directory/resolvers';
import { ImportJob, importJobMutations, importJobQueries } from './import/resolvers';
import { lifecycleMutations } from './lifecycle/resolvers';
import { Organization, organizationMutations, organizationQueries } from './organizations/resolvers';

type Resolver = (parent: unknown, args: never, ctx: UsersContext) => unknown;

/**
 * Every mutation kicks the outbox relay once it settles, so its events leave at once: also when
 * it fails after writing some (credential.locked, credential.sessions-revoked on token reuse).
 */
function kickingRelay<T extends Record<string, Resolver>>(mutations: T): T {
  return Object.fromEntries(
    Object.entries(mutations).map(([name, resolve]) => [
      name,
      async (parent: unknown, args: never, ctx: UsersContext) => {
        try {
          return await resolve(parent, args, ctx);
        } finally {
          ctx.runtime.relay.kick();
        }
      },
    ]),
  ) as T;
}

export const resolvers = {
  Query: { ...directoryQueries, ...organizationQueries, ...auditQueries, ...importJobQueries },
  Mutation: kickingRelay({
    ...directoryMutations,
    ...lifecycleMutations,
    ...organizationMutations,
    ...credentialMutations,
    ...importJobMutations,
  }),
  User,
  Organization,
  UserConnection,
  AuditRecord,
  ImportJob,
};
