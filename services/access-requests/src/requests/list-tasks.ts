import type { DeputyRepository } from '../deputies/deputy.repository';
import { standInsOf } from '../deputies/deputies';
import type { AccessRequest, Slot } from './access-request';
import type { RequestRepository } from './request.repository';

/** An open task a user may decide now, and in which capacity. */
export interface Task {
  request: AccessRequest;
  slot: Slot;
  actingAs: 'APPROVER' | 'DEPUTY';
  delegationId: string | null;
  via: string | null;
}

/**
 * The tasks `userId` may decide now: their own open ones, and those of every approver they stand
 * in for through a delegation that is active and covers the application (read at this moment, so
 * a delegation that started after the task was assigned brings it, and one that ended takes it
 * away). Never a request they are the beneficiary or the requester of. Soonest deadline first.
 */
export async function tasksOf(
  userId: string,
  now: Date,
  deps: { requests: RequestRepository; deputies: DeputyRepository },
): Promise<Task[]> {
  const standIns = await standInsOf(userId, now, deps.deputies);
  const rows = await deps.requests.ofApprovers([userId, ...standIns.map((s) => s.forUserId)]);
  const seen = new Set<string>();
  const tasks: Task[] = [];
  for (const request of rows) {
    if (seen.has(request._id) || request.status !== 'PENDING' || !request.stage) continue;
    seen.add(request._id);
    if (request.beneficiaryId === userId || request.requesterId === userId) continue;
    for (const slot of request.stage.slots.filter((s) => !s.decision)) {
      if (slot.userId === userId) {
        tasks.push({ request, slot, actingAs: 'APPROVER', delegationId: null, via: null });
        continue;
      }
      const standIn = standIns.find((s) => s.forUserId === slot.userId && s.covers(request.applicationId));
      if (standIn)
        tasks.push({
          request,
          slot,
          actingAs: 'DEPUTY',
          delegationId: standIn.delegationId,
          via: standIn.via,
        });
    }
  }
  return tasks.sort(
    (a, b) =>
      (a.request.stage as { deadline: Date }).deadline.getTime() -
        (b.request.stage as { deadline: Date }).deadline.getTime() || taskKey(a).localeCompare(taskKey(b)),
  );
}

/** A task's stable key: its request and whose task it is. */
export function taskKey(task: Task): string {
  return `${task.request._id}:${task.slot.userId}`;
}
