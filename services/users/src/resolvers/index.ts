import { AuditRecord, auditQueries } from './audit';
import { credentialMutations } from './credentials';
import { ImportJob, importJobMutations, importJobQueries } from './import-jobs';
import { Mutation } from './mutation';
import { Organization } from './organization';
import { Query, UserConnection } from './query';
import { User } from './user';

export const resolvers = {
  Query: { ...Query, ...auditQueries, ...importJobQueries },
  Mutation: { ...Mutation, ...credentialMutations, ...importJobMutations },
  User,
  Organization,
  UserConnection,
  AuditRecord,
  ImportJob,
};
