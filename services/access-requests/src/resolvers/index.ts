import type DataLoader from 'dataloader';
import { policy, type RequestContext } from '@concierge/kit';
import type { ApplicationRecord, ApplicationRepository } from '../data/application.model';

export interface AccessRequestsContext extends RequestContext {
  applications: ApplicationRepository;
  applicationById: DataLoader<string, ApplicationRecord | null>;
}

export const resolvers = {
  Query: {
    applications: (_: unknown, __: unknown, ctx: AccessRequestsContext) => {
      policy.requireUser(ctx.principal);
      return ctx.applications.list();
    },
    application: (_: unknown, args: { id: string }, ctx: AccessRequestsContext) => {
      policy.requireUser(ctx.principal);
      return ctx.applicationById.load(args.id);
    },
  },
  Application: {
    __resolveReference: (ref: { id: string }, ctx: AccessRequestsContext) => ctx.applicationById.load(ref.id),
    id: (a: ApplicationRecord) => a._id,
  },
};
