import type DataLoader from 'dataloader';
import { policy, type RequestContext } from '@concierge/kit';
import type { DelegationRecord } from '../data/delegation.model';

export interface DelegationContext extends RequestContext {
  delegationsByDelegator: DataLoader<string, DelegationRecord[]>;
}

export const resolvers = {
  User: {
    __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
    delegations: (user: { id: string }, _: unknown, ctx: DelegationContext) => {
      policy.requireSelfOrAdmin(ctx.principal, user.id);
      return ctx.delegationsByDelegator.load(user.id);
    },
  },
  Delegation: {
    id: (d: DelegationRecord) => d._id,
    deputy: (d: DelegationRecord) => ({ __typename: 'User', id: d.deputyId }),
    validFrom: (d: DelegationRecord) => d.validFrom.toISOString(),
    validUntil: (d: DelegationRecord) => d.validUntil.toISOString(),
  },
};
