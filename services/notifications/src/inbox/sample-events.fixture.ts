import { randomUUID } from 'node:crypto';
import { createEvent, type EventEnvelope } from '@concierge/kit';
import type { RequestFacts } from './notification-text';

/** Sample events of the types the inbox consumes, valid against their contracts unless a test breaks them. */

/** The request part of access-request and approval events, fresh ids each time. */
export function requestFacts(overrides: Partial<RequestFacts> = {}): RequestFacts {
  return {
    requestId: `req-${randomUUID()}`,
    kind: 'ACCESS',
    beneficiaryId: `u-${randomUUID()}`,
    beneficiaryName: 'Grace Hopper',
    requesterId: `u-${randomUUID()}`,
    applicationId: `app-${randomUUID()}`,
    applicationName: 'SAP',
    entitlementId: `ent-${randomUUID()}`,
    entitlementName: 'Payroll admin',
    ...overrides,
  };
}

const SOURCES: Record<string, string> = {
  'access-request': '/concierge/access-requests',
  approval: '/concierge/access-requests',
  grant: '/concierge/access-requests',
  delegation: '/concierge/delegation',
};

/** An envelope as its producer would build it; the subject (and Kafka key) is the aggregate id. */
export function sampleEvent(
  type: string,
  subject: string,
  data: Record<string, unknown>,
  now = new Date(),
): EventEnvelope {
  return createEvent(
    SOURCES[type.split('.')[0] ?? ''] ?? '/concierge/test',
    { type, subject, data, actor: 'system:test', correlationId: randomUUID() },
    now,
  );
}

const DEADLINE = '2027-01-07T08:00:00.000Z';

type Deputy = { userId: string; forUserId: string; delegationId: string };

export function taskAssigned(
  facts: RequestFacts,
  people: { assignees: { userId: string; reason: string }[]; deputies?: Deputy[] },
  now?: Date,
): EventEnvelope {
  return sampleEvent(
    'approval.task-assigned',
    facts.requestId,
    {
      ...facts,
      stage: 0,
      stageName: 'Manager approval',
      level: 0,
      deadline: DEADLINE,
      assignees: people.assignees,
      deputies: people.deputies ?? [],
    },
    now,
  );
}

export function taskReminder(
  facts: RequestFacts,
  people: { recipients: string[]; deputies?: Deputy[] },
): EventEnvelope {
  return sampleEvent('approval.reminder', facts.requestId, {
    ...facts,
    stage: 0,
    stageName: 'Manager approval',
    level: 0,
    deadline: DEADLINE,
    recipients: people.recipients,
    deputies: people.deputies ?? [],
  });
}

export function taskEscalated(
  facts: RequestFacts,
  people: { assignees: string[]; deputies?: Deputy[]; earlierApprovers: string[] },
  reason: 'DEADLINE_PASSED' | 'NO_APPROVER' = 'DEADLINE_PASSED',
): EventEnvelope {
  return sampleEvent('approval.escalated', facts.requestId, {
    ...facts,
    stage: 0,
    stageName: 'Manager approval',
    fromLevel: 0,
    toLevel: 1,
    reason,
    waited: 'P2DT4H',
    waitedSeconds: 2 * 86_400 + 4 * 3_600,
    assignees: people.assignees.map((userId) => ({ userId, reason: 'ESCALATION' })),
    deputies: people.deputies ?? [],
    earlierApprovers: people.earlierApprovers,
    deadline: DEADLINE,
  });
}

export function requestApproved(facts: RequestFacts, outcome = 'APPROVED'): EventEnvelope {
  return sampleEvent('access-request.approved', facts.requestId, {
    ...facts,
    grantId: `grant-${randomUUID()}`,
    outcome,
  });
}

export function requestRejected(
  facts: RequestFacts,
  comment: string | null,
  outcome = 'REJECTED',
): EventEnvelope {
  return sampleEvent('access-request.rejected', facts.requestId, { ...facts, outcome, comment });
}

/** The grant part of grant events. */
export function grantFacts(overrides: Record<string, unknown> = {}) {
  return {
    grantId: `grant-${randomUUID()}`,
    beneficiaryId: `u-${randomUUID()}`,
    applicationId: `app-${randomUUID()}`,
    applicationName: 'SAP',
    entitlementId: `ent-${randomUUID()}`,
    entitlementName: 'Payroll admin',
    validFrom: '2027-01-04T08:00:00.000Z',
    validTo: '2027-03-31T17:00:00.000Z' as string | null,
    ...overrides,
  };
}

type Grant = ReturnType<typeof grantFacts>;

export function grantCreated(
  grant: Grant,
  status: 'ACTIVE' | 'SCHEDULED',
  source = 'REQUEST',
  now?: Date,
): EventEnvelope {
  return sampleEvent(
    'grant.created',
    grant.grantId,
    { ...grant, source, requestId: null, ruleId: null, status },
    now,
  );
}

export function grantStarted(grant: Grant): EventEnvelope {
  return sampleEvent('grant.started', grant.grantId, grant);
}

/** grant.expiring of a grant; its data carry no validFrom. */
export function grantExpiring(grant: Grant, now?: Date): EventEnvelope {
  const { validFrom: _from, validTo, ...rest } = grant;
  return sampleEvent('grant.expiring', grant.grantId, { ...rest, validTo: validTo ?? DEADLINE }, now);
}

export function delegationCreated(delegation: {
  delegationId?: string;
  delegatorId: string;
  delegatorName: string;
  deputyId: string;
  applicationIds?: string[];
  allowFurtherDelegation?: boolean;
}): EventEnvelope {
  const delegationId = delegation.delegationId ?? `del-${randomUUID()}`;
  return sampleEvent('delegation.created', delegationId, {
    delegationId,
    delegatorId: delegation.delegatorId,
    delegatorName: delegation.delegatorName,
    deputyId: delegation.deputyId,
    scope: delegation.applicationIds
      ? { kind: 'APPLICATIONS', applicationIds: delegation.applicationIds }
      : { kind: 'ALL', applicationIds: [] },
    validFrom: '2027-01-04T00:00:00.000Z',
    validTo: '2027-01-18T00:00:00.000Z',
    reason: 'Parental leave',
    allowFurtherDelegation: delegation.allowFurtherDelegation ?? false,
  });
}
