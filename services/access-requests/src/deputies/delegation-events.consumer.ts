import type { HandlerMap } from '@concierge/kit';
import type { DeputyRepository } from './deputy.repository';

interface DelegationCreated {
  delegationId: string;
  delegatorId: string;
  deputyId: string;
  scope: { kind: 'ALL' | 'APPLICATIONS'; applicationIds: string[] };
  validFrom: string;
  validTo: string;
  allowFurtherDelegation: boolean;
}

/** Keeps the projection of delegations from the delegation service's events (idempotent). */
export function delegationHandlers(deputies: DeputyRepository): HandlerMap {
  const end = async (event: { time: string; data: Record<string, unknown> }) =>
    deputies.end(String(event.data.delegationId), new Date(event.time));
  return {
    'delegation.created': async (event) => {
      const d = event.data as unknown as DelegationCreated;
      await deputies.upsert({
        _id: d.delegationId,
        delegatorId: d.delegatorId,
        deputyId: d.deputyId,
        scopeKind: d.scope.kind,
        applicationIds: d.scope.applicationIds,
        validFrom: new Date(d.validFrom),
        validTo: new Date(d.validTo),
        allowFurtherDelegation: d.allowFurtherDelegation,
        endedAt: null,
      });
    },
    'delegation.ended': end,
    'delegation.expired': end,
  };
}
