/**
 * A backlog of pending access requests written straight into an access-requests database, as the
 * service itself would have left them: each request built by the domain's `submit()` (its first
 * stage started, its approver the beneficiary's manager), its version-1 record in the log
 * (applied, outbox empty) and its timer (`<id>#1`, due at the domain's `nextDue`, filed under the
 * kit's `dueBucket` of that time). Inserted with insertMany in batches, the three collections side
 * by side.
 */
import type { Db } from 'mongodb';
import { dueBucket } from '@concierge/kit';
import type { PolicyDefinition } from '../../../services/access-requests/src/policies/approval-policy';
import {
  nextDue,
  submit,
  type AccessRequest,
  type ResolveApprovers,
} from '../../../services/access-requests/src/requests/access-request';

export interface BacklogPerson {
  id: string;
  displayName: string;
  /** Every beneficiary of the backlog has one: the stage's approver. */
  managerId: string;
}

export interface BacklogEntitlement {
  applicationId: string;
  applicationName: string;
  entitlementId: string;
  entitlementName: string;
  allowAutoApproval: boolean;
}

export interface BacklogPolicy {
  id: string;
  version: number;
  name: string;
  definition: PolicyDefinition;
}

export interface BacklogOptions {
  /** Beneficiaries; request i is for people[i % people.length]. */
  people: readonly BacklogPerson[];
  /** Request i asks for entitlements[floor(i / people.length)], so no pair repeats. */
  entitlements: readonly BacklogEntitlement[];
  policies: readonly BacklogPolicy[];
  /** The policy request i follows, an index into `policies` (default: i modulo their number). */
  policyOf?: (i: number) => number;
  /** When request i's first timer falls due (its creation is set back to match). */
  dueAt: (i: number) => Date;
  /** The id of request i. */
  id: (i: number) => string;
}

export interface BacklogDocs {
  request: AccessRequest;
  version: Record<string, unknown>;
  timer: { _id: string; aggregateId: string; version: number; dueAt: Date; dueBucket: string };
}

const HOUR = 3_600_000;

/** How long after submission each policy's first timer falls due (a reminder or the deadline). */
function firstDueOffsets(policies: readonly BacklogPolicy[]): number[] {
  const at = new Date('2026-01-05T09:00:00Z');
  return policies.map((policy) => {
    const { next } = submit(fields(policy, probePerson, probeEntitlement, 'probe', at), {
      now: at,
      actor: probePerson.id,
      resolve: resolverFor(probePerson),
    });
    const due = nextDue(next);
    if (!due) throw new Error(`policy ${policy.name} sets no timer on a new request`);
    return due.getTime() - at.getTime();
  });
}

const probePerson: BacklogPerson = { id: 'probe', displayName: 'Probe', managerId: 'probe-manager' };
const probeEntitlement: BacklogEntitlement = {
  applicationId: 'probe-app',
  applicationName: 'Probe',
  entitlementId: 'probe-entitlement',
  entitlementName: 'Probe',
  allowAutoApproval: false,
};

/** What the service's approver lookup would answer for a person at submission: their manager. */
function resolverFor(person: BacklogPerson): ResolveApprovers {
  return (specs) =>
    specs.flatMap((spec) =>
      spec.kind === 'MANAGER' ? [{ userId: person.managerId, reason: 'MANAGER' as const }] : [],
    );
}

function fields(
  policy: BacklogPolicy,
  person: BacklogPerson,
  entitlement: BacklogEntitlement,
  id: string,
  createdAt: Date,
) {
  return {
    _id: id,
    kind: 'ACCESS' as const,
    grantId: null,
    beneficiaryId: person.id,
    beneficiaryName: person.displayName,
    requesterId: person.id,
    applicationId: entitlement.applicationId,
    applicationName: entitlement.applicationName,
    entitlementId: entitlement.entitlementId,
    entitlementName: entitlement.entitlementName,
    justification: `Needed for the ${entitlement.entitlementName} work this quarter`,
    validFrom: createdAt,
    validTo: null,
    policy: { id: policy.id, version: policy.version, name: policy.name, definition: policy.definition },
    allowAutoApproval: entitlement.allowAutoApproval,
  };
}

/** The documents of request i: current state, version-1 record, timer. */
export function backlogBuilder(options: BacklogOptions): (i: number) => BacklogDocs {
  const offsets = firstDueOffsets(options.policies);
  return (i) => {
    const person = options.people[i % options.people.length] as BacklogPerson;
    const entitlement = options.entitlements[Math.floor(i / options.people.length)];
    if (!entitlement) throw new Error(`request ${i}: not enough entitlements for distinct pairs`);
    const p = options.policyOf ? options.policyOf(i) : i % options.policies.length;
    const policy = options.policies[p] as BacklogPolicy;
    const due = options.dueAt(i);
    const createdAt = new Date(due.getTime() - (offsets[p] as number));
    const id = options.id(i);
    const { next } = submit(fields(policy, person, entitlement, id, createdAt), {
      now: createdAt,
      actor: person.id,
      resolve: resolverFor(person),
    });
    const request = { ...next, version: 1, correlationId: `backlog-${i}` } as AccessRequest;
    const dueAt = nextDue(request) as Date;
    if (Math.abs(dueAt.getTime() - due.getTime()) > HOUR)
      throw new Error(`request ${i}: due ${dueAt.toISOString()}, wanted ${due.toISOString()}`);
    const recordId = `${id}#1`;
    return {
      request,
      version: {
        _id: recordId,
        aggregateId: id,
        version: 1,
        state: request,
        effects: [],
        committedAt: createdAt,
        applied: true,
        outbox: [],
        outboxPending: false,
        outboxSeq: 1,
      },
      timer: { _id: recordId, aggregateId: id, version: 1, dueAt, dueBucket: dueBucket(dueAt) },
    };
  };
}

/**
 * Inserts requests `from` to `to - 1` in batches of `batch`, the three collections of a batch at
 * once. Returns the seconds it took.
 */
export async function insertBacklog(
  db: Db,
  build: (i: number) => BacklogDocs,
  from: number,
  to: number,
  options: { batch?: number; onBatch?: (done: number) => void } = {},
): Promise<number> {
  const size = options.batch ?? 1_000;
  const started = performance.now();
  const requests = db.collection('access_requests');
  const versions = db.collection('access_requests_versions');
  const timers = db.collection('access_requests_timers');
  for (let start = from; start < to; start += size) {
    const docs = Array.from({ length: Math.min(size, to - start) }, (_, k) => build(start + k));
    await Promise.all([
      requests.insertMany(docs.map((d) => d.request) as never[], { ordered: false }),
      versions.insertMany(docs.map((d) => d.version) as never[], { ordered: false }),
      timers.insertMany(docs.map((d) => d.timer) as never[], { ordered: false }),
    ]);
    options.onBatch?.(start + docs.length - from);
  }
  return (performance.now() - started) / 1000;
}
