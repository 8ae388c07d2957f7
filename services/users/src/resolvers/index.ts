import { AuditRecord, auditQueries } from './audit';
import { credentialMutations } from './credentials';
import { Mutation } from './mutation';
import { Organization } from './organization';
import { Query, UserConnection } from './query';
import { User } from './user';

export const resolvers = {
  Query: { ...Query, ...auditQueries },
  Mutation: { ...Mutation, ...credentialMutations },
  User,
  Organization,
  UserConnection,
  AuditRecord,
};
