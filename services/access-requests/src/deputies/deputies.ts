import type { DeputyRecord } from './deputy.model';
import type { DeputyRepository } from './deputy.repository';

/** A deputy of an approver, and the delegation that makes them one. */
export interface Deputy {
  userId: string;
  forUserId: string;
  delegationId: string;
}

/** Whether a delegation lets its deputy act on tasks of `applicationId` at `now`. */
export function covers(d: DeputyRecord, applicationId: string, now: Date): boolean {
  if (d.endedAt || now.getTime() < d.validFrom.getTime() || now.getTime() >= d.validTo.getTime())
    return false;
  return d.scopeKind === 'ALL' || d.applicationIds.includes(applicationId);
}

/**
 * The deputies who may act for each of `approverIds` on `applicationId` now: the approver's own
 * deputies, and their deputies in turn where the approver allowed one more hop. Read at the time
 * of asking, so a delegation that starts while a task is open reaches it, and one that ends takes
 * it away again.
 */
export async function deputiesOf(
  approverIds: readonly string[],
  applicationId: string,
  now: Date,
  deputies: DeputyRepository,
): Promise<Deputy[]> {
  if (approverIds.length === 0) return [];
  const first = (await deputies.givenBy(approverIds)).filter((d) => covers(d, applicationId, now));
  const onward = first.filter((d) => d.allowFurtherDelegation);
  const second = onward.length
    ? (await deputies.givenBy([...new Set(onward.map((d) => d.deputyId))])).filter((d) =>
        covers(d, applicationId, now),
      )
    : [];
  const out = new Map<string, Deputy>();
  const add = (userId: string, forUserId: string, delegationId: string) => {
    if (userId !== forUserId && !out.has(`${userId}|${forUserId}`))
      out.set(`${userId}|${forUserId}`, { userId, forUserId, delegationId });
  };
  for (const d of first) add(d.deputyId, d.delegatorId, d._id);
  for (const hop of onward)
    for (const d of second.filter((s) => s.delegatorId === hop.deputyId))
      add(d.deputyId, hop.delegatorId, hop._id);
  return [...out.values()];
}

/** An approver someone stands in for, through which delegation (and via whom, on a second hop). */
export interface StandIn {
  forUserId: string;
  delegationId: string;
  via: string | null;
  /** Whether it reaches tasks of this application. */
  covers: (applicationId: string) => boolean;
}

/**
 * Whom `userId` stands in for now: the delegators of the delegations they received, and those
 * who delegated to such a delegator and allowed one more hop.
 */
export async function standInsOf(userId: string, now: Date, deputies: DeputyRepository): Promise<StandIn[]> {
  const active = (d: DeputyRecord) => covers({ ...d, scopeKind: 'ALL' }, '', now);
  const direct = (await deputies.receivedBy([userId])).filter(active);
  const out = new Map<string, StandIn>();
  for (const d of direct)
    if (d.delegatorId !== userId)
      out.set(d.delegatorId, {
        forUserId: d.delegatorId,
        delegationId: d._id,
        via: null,
        covers: (app) => covers(d, app, now),
      });
  if (direct.length === 0) return [...out.values()];
  // One more hop: those who delegated to my delegators and allowed it to go on (both in scope).
  const upstream = (await deputies.receivedBy(direct.map((d) => d.delegatorId))).filter(
    (d) => d.allowFurtherDelegation && active(d),
  );
  for (const up of upstream) {
    const hop = direct.find((d) => d.delegatorId === up.deputyId);
    if (!hop || up.delegatorId === userId || out.has(up.delegatorId)) continue;
    out.set(up.delegatorId, {
      forUserId: up.delegatorId,
      delegationId: up._id,
      via: up.deputyId,
      covers: (app) => covers(up, app, now) && covers(hop, app, now),
    });
  }
  return [...out.values()];
}

/** The approvers `userId` may act for on `applicationId` now. */
export async function actingFor(
  userId: string,
  applicationId: string,
  now: Date,
  deputies: DeputyRepository,
): Promise<Set<string>> {
  return new Set(
    (await standInsOf(userId, now, deputies)).filter((s) => s.covers(applicationId)).map((s) => s.forUserId),
  );
}
