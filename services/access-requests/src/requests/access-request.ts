import {
  addDuration,
  BadInputError,
  ConflictError,
  ForbiddenError,
  formatDuration,
  type Versioned,
} from '@concierge/kit';
import type { ApproverSpec, PolicyDefinition } from '../policies/approval-policy';
import { REQUEST_ERRORS } from './requests.errors';

/**
 * An access request and its approval, as a pure state machine: every function takes the request
 * as it stands and returns the next state with the events and effects of the change, or throws a
 * domain error and changes nothing. Storage, approver lookups and deputies come in as arguments.
 */
export type RequestStatus = 'PENDING' | 'APPROVED' | 'REJECTED' | 'CANCELLED' | 'EXPIRED';
export type RequestKind = 'ACCESS' | 'EXTENSION' | 'REMOVAL';

/** Why someone holds a task. */
export type AssigneeReason =
  | 'MANAGER'
  | 'MANAGERS_MANAGER'
  | 'APPLICATION_OWNER'
  | 'NAMED_USER'
  | 'ORGANIZATION_ADMIN'
  | 'ESCALATION'
  | 'FORWARDED';

export interface Assignee {
  userId: string;
  reason: AssigneeReason;
}

export interface SlotDecision {
  decision: 'APPROVE' | 'REJECT';
  /** Who decided: the approver, or a deputy acting for them. */
  by: string;
  at: Date;
  comment: string | null;
}

/** One approver's task in the current stage. */
export interface Slot extends Assignee {
  /** 0: the stage's own approvers; n: added by the n-th escalation. */
  level: number;
  /** Whose task this was before it was forwarded. */
  forwardedFrom: string | null;
  decision: SlotDecision | null;
}

export interface StageState {
  index: number;
  name: string;
  rule: 'ANY' | 'ALL';
  level: number;
  startedAt: Date;
  levelStartedAt: Date;
  deadline: Date;
  /** Reminders sent for the current level's deadline. */
  remindersSent: number;
  slots: Slot[];
}

export type TimelineAction =
  | 'SUBMITTED'
  | 'ASSIGNED'
  | 'REMINDED'
  | 'ESCALATED'
  | 'FORWARDED'
  | 'APPROVED_TASK'
  | 'REJECTED_TASK'
  | 'STAGE_COMPLETED'
  | 'STAGE_SKIPPED'
  | 'APPROVED'
  | 'REJECTED'
  | 'CANCELLED'
  | 'EXPIRED'
  | 'REASSIGNED';

/** Who did what, on whose behalf, when: the request's record, never edited. */
export interface TimelineEntry {
  at: Date;
  action: TimelineAction;
  actor: string;
  onBehalfOf: string | null;
  stage: number | null;
  level: number | null;
  /** The users the entry is about: assignees, the new holder of a forwarded task... */
  userIds: string[];
  comment: string | null;
}

/** What the events of a request name, fixed when it is submitted. */
export interface RequestSubject {
  beneficiaryId: string;
  beneficiaryName: string;
  requesterId: string;
  applicationId: string;
  applicationName: string;
  entitlementId: string;
  entitlementName: string;
}

export interface AccessRequest extends Versioned, RequestSubject {
  kind: RequestKind;
  /** EXTENSION: the grant to extend; REMOVAL: the grant to revoke; ACCESS: the grant made on approval. */
  grantId: string | null;
  justification: string;
  validFrom: Date;
  validTo: Date | null;
  /** The policy version the request started with; edits of the policy do not reach it. */
  policy: { id: string; version: number; name: string; definition: PolicyDefinition };
  /** Whether the entitlement lets a policy's final action approve. */
  allowAutoApproval: boolean;
  status: RequestStatus;
  outcome: string | null;
  stage: StageState | null;
  /** The users holding an undecided task now (indexed: "my approvals"). */
  approverIds: string[];
  /** When the scheduler must look at it next (a reminder or a deadline). */
  dueAt: Date | null;
  timeline: TimelineEntry[];
  createdAt: Date;
  decidedAt: Date | null;
  /** The correlation id of the last change (its effects, a grant, carry it on). */
  correlationId?: string;
}

/** An event the change publishes; the use case adds the envelope (and the deputies it names). */
export interface DomainEvent {
  type: string;
  data: Record<string, unknown>;
  onBehalfOf?: string;
}

export type RequestEffect =
  | { kind: 'CREATE_GRANT' }
  | { kind: 'EXTEND_GRANT' }
  | { kind: 'REVOKE_GRANT' }
  | { kind: 'RELEASE_PENDING' };

export interface Outcome {
  next: AccessRequest;
  events: DomainEvent[];
  effects: RequestEffect[];
}

/** The users each approver kind names for this request (manager, owners...), looked up beforehand. */
export type ResolveApprovers = (specs: readonly ApproverSpec[]) => Assignee[];

export interface StepContext {
  now: Date;
  actor: string;
  resolve: ResolveApprovers;
}

/** Builds a new request and starts its first stage (a policy without stages approves at once). */
export function submit(
  fields: Omit<
    AccessRequest,
    | 'version'
    | 'status'
    | 'outcome'
    | 'stage'
    | 'approverIds'
    | 'dueAt'
    | 'timeline'
    | 'createdAt'
    | 'decidedAt'
  >,
  ctx: StepContext,
): Outcome {
  const step = new Step(
    {
      ...fields,
      version: 0,
      status: 'PENDING',
      outcome: null,
      stage: null,
      approverIds: [],
      dueAt: null,
      timeline: [],
      createdAt: ctx.now,
      decidedAt: null,
    },
    ctx,
  );
  step.record('SUBMITTED', { userIds: [fields.beneficiaryId], comment: fields.justification });
  step.emit('access-request.submitted', {
    grantId: fields.grantId,
    justification: fields.justification,
    validFrom: fields.validFrom.toISOString(),
    validTo: fields.validTo?.toISOString() ?? null,
    policyId: fields.policy.id,
    policyVersion: fields.policy.version,
  });
  step.startStage(0);
  return step.done();
}

export interface DecisionInput {
  decision: 'APPROVE' | 'REJECT';
  comment: string | null;
  /** The approver the actor decides for, when they may act for several. */
  onBehalfOf: string | null;
}

/**
 * Records one approver's decision (the actor's own task, or one they act for as a deputy), then
 * completes, rejects or moves the request on. `actsFor` are the approvers the actor is an active
 * deputy of for this application now.
 */
export function decide(
  request: AccessRequest,
  input: DecisionInput,
  actsFor: ReadonlySet<string>,
  ctx: StepContext,
): Outcome {
  const step = new Step(request, ctx);
  const slot = step.slotFor(input.onBehalfOf, actsFor);
  const comment = input.comment?.trim() || null;
  if (input.decision === 'REJECT' && !comment)
    throw new BadInputError('comment', 'Say why you reject the request', REQUEST_ERRORS.COMMENT_REQUIRED);
  slot.decision = { decision: input.decision, by: ctx.actor, at: ctx.now, comment };
  const onBehalfOf = slot.userId === ctx.actor ? null : slot.userId;
  step.record(input.decision === 'APPROVE' ? 'APPROVED_TASK' : 'REJECTED_TASK', { onBehalfOf, comment });
  step.emit(
    'approval.decided',
    {
      ...step.stageFields(),
      approverId: slot.userId,
      decidedBy: ctx.actor,
      decision: input.decision,
      comment,
    },
    onBehalfOf ?? undefined,
  );
  if (input.decision === 'REJECT') step.finish('REJECTED', 'REJECTED', comment);
  else if (step.stageComplete(slot)) step.completeStage();
  return step.done();
}

/** Hands the actor's task (or one they act for) to another eligible person. */
export function forward(
  request: AccessRequest,
  input: { toUserId: string; toIsActive: boolean; reason: string; onBehalfOf: string | null },
  actsFor: ReadonlySet<string>,
  ctx: StepContext,
): Outcome {
  const step = new Step(request, ctx);
  const slot = step.slotFor(input.onBehalfOf, actsFor);
  const reason = input.reason.trim();
  if (reason === '')
    throw new BadInputError('reason', 'Say why you forward the task', REQUEST_ERRORS.REASON_REQUIRED);
  const to = input.toUserId;
  if (to === request.beneficiaryId || to === request.requesterId)
    throw new BadInputError(
      'toUserId',
      'The beneficiary and the requester cannot decide their own request',
      REQUEST_ERRORS.FOUR_EYES,
    );
  if (!input.toIsActive)
    throw new BadInputError(
      'toUserId',
      `User ${to} is not an active user`,
      REQUEST_ERRORS.FORWARD_TARGET_INACTIVE,
    );
  const stage = request.stage as StageState;
  if (stage.slots.some((s) => s.userId === to && !s.decision))
    throw new BadInputError(
      'toUserId',
      `User ${to} already holds this task`,
      REQUEST_ERRORS.FORWARD_TARGET_HOLDS_TASK,
    );
  const from = slot.userId;
  slot.forwardedFrom = from;
  slot.userId = to;
  slot.reason = 'FORWARDED';
  const onBehalfOf = from === ctx.actor ? null : from;
  step.record('FORWARDED', { onBehalfOf, userIds: [from, to], comment: reason });
  step.emit(
    'approval.forwarded',
    { ...step.stageFields(), fromUserId: from, toUserId: to, reason, deadline: stage.deadline.toISOString() },
    onBehalfOf ?? undefined,
  );
  step.emit('approval.task-assigned', {
    ...step.stageFields(),
    deadline: stage.deadline.toISOString(),
    assignees: [{ userId: to, reason: 'FORWARDED' }],
    deputies: [],
  });
  return step.done();
}

/** The requester or the beneficiary withdraws a pending request. */
export function cancel(request: AccessRequest, reason: string | null, ctx: StepContext): Outcome {
  const step = new Step(request, ctx);
  step.requirePending();
  step.record('CANCELLED', { comment: reason });
  step.emit('access-request.cancelled', { cancelledBy: ctx.actor, reason });
  step.close('CANCELLED', 'CANCELLED');
  return step.done();
}

/** Ends a pending request without a decision (its beneficiary was terminated). */
export function expire(request: AccessRequest, ctx: StepContext): Outcome {
  const step = new Step(request, ctx);
  step.requirePending();
  step.record('EXPIRED', { comment: 'The beneficiary was terminated' });
  step.emit('access-request.expired', { reason: 'BENEFICIARY_TERMINATED' });
  step.close('EXPIRED', 'BENEFICIARY_TERMINATED');
  return step.done();
}

/**
 * The beneficiary moved (a new manager): the open tasks their manager or their manager's manager
 * held go to whoever holds that place now, as the policy would name them today. A task whose
 * place nobody holds now stays with its holder (the deadline and the escalation chain still
 * guarantee an answer). Null when nothing changes.
 */
export function reroute(request: AccessRequest, ctx: StepContext): Outcome | null {
  if (request.status !== 'PENDING' || !request.stage) return null;
  const step = new Step(request, ctx);
  const kinds: Record<string, ApproverSpec['kind']> = {
    MANAGER: 'MANAGER',
    MANAGERS_MANAGER: 'MANAGERS_MANAGER',
  };
  const moved: Assignee[] = [];
  for (const slot of step.openSlots()) {
    const kind = kinds[slot.reason];
    if (!kind) continue;
    const holders = step.openSlots().map((s) => s.userId);
    const now = step.eligibleFor([{ kind }], holders)[0];
    if (!now) continue;
    step.record('REASSIGNED', {
      userIds: [slot.userId, now.userId],
      comment: `The beneficiary's ${kind === 'MANAGER' ? 'manager' : "manager's manager"} changed`,
    });
    slot.forwardedFrom = slot.userId;
    slot.userId = now.userId;
    moved.push(now);
  }
  if (moved.length === 0) return null;
  step.emit('approval.task-assigned', {
    ...step.stageFields(),
    deadline: step.stage.deadline.toISOString(),
    assignees: moved,
    deputies: [],
  });
  return step.done();
}

/**
 * What the scheduler does when `dueAt` comes: escalate past deadlines (catching up on every level
 * that fell due while nobody looked, up to the final action), else send the reminder that is due.
 * Null when nothing is due at `ctx.now`.
 */
export function fireTimers(request: AccessRequest, ctx: StepContext): Outcome | null {
  const stage = request.stage;
  if (request.status !== 'PENDING' || !stage) return null;
  const step = new Step(request, ctx);
  if (stage.deadline.getTime() <= ctx.now.getTime()) {
    step.escalate('DEADLINE_PASSED');
    return step.done();
  }
  const times = reminderTimes(stage, request.policy.definition.reminders);
  const due = times.slice(stage.remindersSent).filter((t) => t.getTime() <= ctx.now.getTime());
  if (due.length === 0) return null;
  // Reminders missed while nobody looked collapse into one.
  step.stage.remindersSent += due.length;
  const recipients = step.openSlots().map((s) => s.userId);
  step.record('REMINDED', { userIds: recipients });
  step.emit('approval.reminder', {
    ...step.stageFields(),
    deadline: stage.deadline.toISOString(),
    recipients,
    deputies: [],
  });
  return step.done();
}

/** When the request next needs the scheduler: its next reminder or its deadline. */
export function nextDue(request: AccessRequest): Date | null {
  const stage = request.stage;
  if (request.status !== 'PENDING' || !stage) return null;
  const next = reminderTimes(stage, request.policy.definition.reminders)[stage.remindersSent];
  return next && next.getTime() < stage.deadline.getTime() ? next : stage.deadline;
}

/** The reminder times of the current level: each duration before its deadline, after the level began. */
export function reminderTimes(stage: StageState, reminders: readonly string[]): Date[] {
  return reminders
    .map((r) => addDuration(stage.deadline, r, -1))
    .filter((t) => t.getTime() > stage.levelStartedAt.getTime())
    .sort((a, b) => a.getTime() - b.getTime());
}

/** The users who may decide the current stage's task for `approverId`: themselves and `actsFor`. */
export function openTaskOf(request: AccessRequest, userId: string): Slot | null {
  return request.stage?.slots.find((s) => s.userId === userId && !s.decision) ?? null;
}

/** One change in the making: a working copy of the request, and what the change emits. */
class Step {
  readonly request: AccessRequest;
  private readonly events: DomainEvent[] = [];
  private readonly effects: RequestEffect[] = [];
  /** A stage of this change was settled by the policy's final action, not by a person. */
  private settledByPolicy = false;

  constructor(
    original: AccessRequest,
    private readonly ctx: StepContext,
  ) {
    this.request = structuredClone(original);
  }

  get stage(): StageState {
    return this.request.stage as StageState;
  }

  requirePending(): void {
    if (this.request.status !== 'PENDING')
      throw new ConflictError(`The request is ${this.request.status.toLowerCase()} already`, {
        reason: REQUEST_ERRORS.NOT_PENDING,
      });
  }

  /** The undecided slot the actor decides: their own, or the one they act for as a deputy. */
  slotFor(onBehalfOf: string | null, actsFor: ReadonlySet<string>): Slot {
    const { actor } = this.ctx;
    const r = this.request;
    const mine = (userId: string) => userId === actor || actsFor.has(userId);
    const whose = (userId: string) => mine(userId) && (!onBehalfOf || userId === onBehalfOf);
    // A task of theirs was decided: in this stage, or in one someone else completed or ended.
    const heldBefore = (stage: number | null) =>
      r.timeline.some(
        (e) =>
          (e.action === 'ASSIGNED' || e.action === 'ESCALATED' || e.action === 'FORWARDED') &&
          e.stage !== stage &&
          e.userIds.some(whose),
      );
    if (r.status !== 'PENDING' && heldBefore(null))
      throw new ConflictError('This task has been decided already', {
        reason: REQUEST_ERRORS.ALREADY_DECIDED,
      });
    this.requirePending();
    // Four eyes: nobody decides a request they are the beneficiary or the requester of, even as a
    // deputy or through escalation (slots never name them: see eligible()).
    if (actor === r.beneficiaryId || actor === r.requesterId)
      throw new ForbiddenError('The beneficiary and the requester cannot decide their own request');
    let candidates = this.openSlots().filter((s) => mine(s.userId));
    if (onBehalfOf) candidates = candidates.filter((s) => s.userId === onBehalfOf);
    if (candidates.length === 0) {
      const decided =
        this.stage.slots.some((s) => s.decision && whose(s.userId)) || heldBefore(this.stage.index);
      if (decided)
        throw new ConflictError('This task has been decided already', {
          reason: REQUEST_ERRORS.ALREADY_DECIDED,
        });
      throw new ForbiddenError('You hold no open task on this request');
    }
    const own = candidates.find((s) => s.userId === actor);
    if (own) return own;
    if (candidates.length > 1)
      throw new BadInputError(
        'onBehalfOf',
        `You stand in for several approvers here (${candidates.map((s) => s.userId).join(', ')}); say for whom`,
        REQUEST_ERRORS.ON_BEHALF_OF_REQUIRED,
      );
    return candidates[0] as Slot;
  }

  openSlots(): Slot[] {
    return this.stage.slots.filter((s) => !s.decision);
  }

  /** ANY: one approval. ALL: every approver of the stage's own level, or one added by escalation. */
  stageComplete(decided: Slot): boolean {
    if (this.stage.rule === 'ANY' || decided.level > 0) return true;
    return this.stage.slots.filter((s) => s.level === 0).every((s) => s.decision?.decision === 'APPROVE');
  }

  completeStage(): void {
    this.record('STAGE_COMPLETED', {});
    this.startStage(this.stage.index + 1);
  }

  /** Starts stage `index` (or approves when there is none left), following the policy when nobody can take it. */
  startStage(index: number): void {
    const { stages, whenNoApprover } = this.request.policy.definition;
    for (let i = index; ; i++) {
      const stage = stages[i];
      if (!stage) {
        const outcome =
          stages.length === 0 ? 'NO_STAGES' : this.settledByPolicy ? 'FINAL_ACTION' : 'APPROVED';
        this.finish('APPROVED', outcome, null);
        return;
      }
      const now = this.ctx.now;
      const assignees = this.eligible(stage.approvers, []);
      this.request.stage = {
        index: i,
        name: stage.name,
        rule: stage.rule,
        level: 0,
        startedAt: now,
        levelStartedAt: now,
        deadline: assignees.length > 0 ? addDuration(now, stage.deadline) : now,
        remindersSent: 0,
        slots: assignees.map((a) => ({ ...a, level: 0, forwardedFrom: null, decision: null })),
      };
      if (assignees.length > 0) {
        this.record('ASSIGNED', { userIds: assignees.map((a) => a.userId) });
        this.emit('approval.task-assigned', {
          ...this.stageFields(),
          deadline: this.stage.deadline.toISOString(),
          assignees,
          deputies: [],
        });
        return;
      }
      if (whenNoApprover === 'SKIP_STAGE') {
        this.record('STAGE_SKIPPED', { comment: 'Nobody could take this stage' });
        continue;
      }
      if (whenNoApprover === 'REJECT') {
        this.finish('REJECTED', 'NO_APPROVER', 'Nobody could take this stage');
        return;
      }
      this.escalate('NO_APPROVER');
      return;
    }
  }

  /**
   * Goes up the escalation chain from the current level: each level adds its approvers (the
   * earlier ones keep the task) and has its own deadline after the previous one; a level with
   * nobody new is passed over. Levels whose deadline has passed too follow at once. Past the last
   * level comes the policy's final action.
   */
  escalate(reason: 'DEADLINE_PASSED' | 'NO_APPROVER'): void {
    const { escalation, finalAction } = this.request.policy.definition;
    const now = this.ctx.now;
    let why = reason;
    for (;;) {
      const stage = this.stage;
      const level = escalation[stage.level];
      if (!level) {
        this.finalAction(finalAction);
        return;
      }
      const from = stage.level;
      const holders = this.openSlots().map((s) => s.userId);
      const added = this.eligible(level.approvers, holders);
      stage.level = from + 1;
      stage.levelStartedAt = now;
      stage.deadline = addDuration(stage.deadline, level.after);
      stage.remindersSent = 0;
      stage.slots.push(
        ...added.map((a) => ({ ...a, level: stage.level, forwardedFrom: null, decision: null })),
      );
      this.record('ESCALATED', { level: stage.level, userIds: added.map((a) => a.userId), comment: why });
      if (added.length > 0) {
        const waited = now.getTime() - stage.startedAt.getTime();
        this.emit('approval.escalated', {
          stage: stage.index,
          stageName: stage.name,
          fromLevel: from,
          toLevel: stage.level,
          reason: why,
          waited: formatDuration(waited),
          waitedSeconds: Math.max(0, Math.round(waited / 1000)),
          assignees: added,
          deputies: [],
          earlierApprovers: holders,
          deadline: stage.deadline.toISOString(),
        });
      }
      if (added.length === 0 && holders.length === 0) {
        // Nobody at all holds the task: the next level at once.
        why = 'NO_APPROVER';
        stage.deadline = now;
        continue;
      }
      if (stage.deadline.getTime() > now.getTime()) return;
      why = 'DEADLINE_PASSED';
    }
  }

  /** The chain is exhausted: the policy's final action settles the stage. */
  private finalAction(action: 'REJECT' | 'APPROVE'): void {
    if (action === 'APPROVE' && this.request.allowAutoApproval) {
      this.record('STAGE_COMPLETED', { comment: 'Approved by the policy when its escalation chain ran out' });
      this.settledByPolicy = true;
      this.startStage(this.stage.index + 1);
      return;
    }
    this.finish('REJECTED', 'FINAL_ACTION', 'Nobody decided before the escalation chain ran out');
  }

  /** Ends the request with a decision: approved (a grant follows) or rejected. */
  finish(status: 'APPROVED' | 'REJECTED', outcome: string, comment: string | null): void {
    this.record(status, { comment });
    if (status === 'APPROVED') {
      const kind = this.request.kind;
      const grantId = kind === 'ACCESS' ? `g-${this.request._id}` : (this.request.grantId as string);
      this.request.grantId = grantId;
      this.emit('access-request.approved', { grantId, outcome });
      const effect =
        kind === 'EXTENSION' ? 'EXTEND_GRANT' : kind === 'REMOVAL' ? 'REVOKE_GRANT' : 'CREATE_GRANT';
      this.effects.push({ kind: effect });
    } else {
      this.emit('access-request.rejected', { outcome, comment });
    }
    this.close(status, outcome);
  }

  close(status: RequestStatus, outcome: string): void {
    this.request.status = status;
    this.request.outcome = outcome;
    this.request.decidedAt = this.ctx.now;
    this.effects.push({ kind: 'RELEASE_PENDING' });
  }

  /** The users of `specs` who may decide now, but for `exclude`. */
  eligibleFor(specs: readonly ApproverSpec[], exclude: readonly string[]): Assignee[] {
    return this.eligible(specs, exclude);
  }

  /** The users of `specs` who may decide: each once, never the beneficiary or the requester, nor `exclude`. */
  private eligible(specs: readonly ApproverSpec[], exclude: readonly string[]): Assignee[] {
    const r = this.request;
    const out = new Map<string, Assignee>();
    for (const a of this.ctx.resolve(specs)) {
      if (a.userId === r.beneficiaryId || a.userId === r.requesterId || exclude.includes(a.userId)) continue;
      if (!out.has(a.userId)) out.set(a.userId, a);
    }
    return [...out.values()];
  }

  stageFields(): Record<string, unknown> {
    return { stage: this.stage.index, stageName: this.stage.name, level: this.stage.level };
  }

  record(action: TimelineAction, entry: Partial<Omit<TimelineEntry, 'at' | 'action' | 'actor'>>): void {
    const stage = this.request.stage;
    this.request.timeline.push({
      at: this.ctx.now,
      action,
      actor: this.ctx.actor,
      onBehalfOf: entry.onBehalfOf ?? null,
      stage: entry.stage ?? stage?.index ?? null,
      level: entry.level ?? stage?.level ?? null,
      userIds: entry.userIds ?? [],
      comment: entry.comment ?? null,
    });
  }

  emit(type: string, data: Record<string, unknown>, onBehalfOf?: string): void {
    const r = this.request;
    this.events.push({
      type,
      data: {
        requestId: r._id,
        kind: r.kind,
        beneficiaryId: r.beneficiaryId,
        beneficiaryName: r.beneficiaryName,
        requesterId: r.requesterId,
        applicationId: r.applicationId,
        applicationName: r.applicationName,
        entitlementId: r.entitlementId,
        entitlementName: r.entitlementName,
        ...data,
      },
      ...(onBehalfOf ? { onBehalfOf } : {}),
    });
  }

  done(): Outcome {
    const next = this.request;
    next.approverIds = next.status === 'PENDING' && next.stage ? this.openSlots().map((s) => s.userId) : [];
    if (next.status !== 'PENDING') next.approverIds = [];
    next.dueAt = nextDue(next);
    return { next, events: this.events, effects: this.effects };
  }
}
