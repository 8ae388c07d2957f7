import { Mutation } from './mutation';
import { Organization } from './organization';
import { Query, UserConnection } from './query';
import { User } from './user';

export const resolvers = { Query, Mutation, User, Organization, UserConnection };
