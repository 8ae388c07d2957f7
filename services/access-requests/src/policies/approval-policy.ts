import { BadInputError, isPositiveDuration, type Versioned } from '@concierge/kit';
import { POLICY_ERRORS } from './policies.errors';

/** Who approves, by kind; USERS names them (e.g. a fallback group). */
export type ApproverKind =
  'MANAGER' | 'MANAGERS_MANAGER' | 'APPLICATION_OWNERS' | 'USERS' | 'ORGANIZATION_ADMINS';

export interface ApproverSpec {
  kind: ApproverKind;
  /** USERS only: the named users. */
  userIds?: string[];
}

export interface StageDefinition {
  name: string;
  approvers: ApproverSpec[];
  /** ANY: the first approval completes the stage; ALL: every approver of the stage must approve. */
  rule: 'ANY' | 'ALL';
  /** ISO 8601 duration from the stage's start to its deadline. */
  deadline: string;
}

export interface EscalationLevelDefinition {
  approvers: ApproverSpec[];
  /** ISO 8601 duration this level has, from the previous deadline to its own. */
  after: string;
}

/** What happens to a request under this policy; a request keeps the version it started with. */
export interface PolicyDefinition {
  stages: StageDefinition[];
  /** ISO 8601 durations before each deadline (of the stage and of each escalation level). */
  reminders: string[];
  /** Levels a task goes up, one per missed deadline; earlier approvers can still act. */
  escalation: EscalationLevelDefinition[];
  /** When the last level's deadline passes too; APPROVE only where the entitlement allows it. */
  finalAction: 'REJECT' | 'APPROVE';
  /** A stage (or level) with nobody to ask: go up the escalation chain, reject, or skip the stage. */
  whenNoApprover: 'ESCALATE' | 'REJECT' | 'SKIP_STAGE';
}

/** An approval policy as stored: each published edit is a new version of the same id. */
export interface ApprovalPolicy extends Versioned {
  name: string;
  /** Null: a global policy (administrators manage it); else the application whose owners may. */
  applicationId: string | null;
  definition: PolicyDefinition;
  createdAt: Date;
  updatedAt: Date;
  updatedBy: string;
}

const LIMITS = { stages: 10, approvers: 10, users: 50, reminders: 5, levels: 5, name: 200 } as const;

/** The policy input as the graph sends it (optional lists and defaults not yet applied). */
export interface PolicyDefinitionInput {
  stages: { name: string; approvers: ApproverSpec[]; rule?: 'ANY' | 'ALL' | null; deadline: string }[];
  reminders?: string[] | null;
  escalation?: { approvers: ApproverSpec[]; after: string }[] | null;
  finalAction?: 'REJECT' | 'APPROVE' | null;
  whenNoApprover?: 'ESCALATE' | 'REJECT' | 'SKIP_STAGE' | null;
}

/** Checks a policy definition and fills its defaults; BAD_USER_INPUT names the first field at fault. */
export function validDefinition(input: PolicyDefinitionInput): PolicyDefinition {
  if (input.stages.length > LIMITS.stages)
    throw bad('stages', `a policy has at most ${LIMITS.stages} stages`, POLICY_ERRORS.TOO_MANY);
  const stages = input.stages.map((stage, i): StageDefinition => {
    const at = `stages[${i}]`;
    const name = stage.name.trim();
    if (name === '' || name.length > 100)
      throw bad(`${at}.name`, 'a stage needs a name of 1 to 100 characters', POLICY_ERRORS.BAD_NAME);
    if (!isPositiveDuration(stage.deadline))
      throw bad(`${at}.deadline`, `"${stage.deadline}" is not a positive ISO 8601 duration (e.g. P3D, PT4H)`);
    return {
      name,
      approvers: validApprovers(stage.approvers, `${at}.approvers`),
      rule: stage.rule ?? 'ANY',
      deadline: stage.deadline,
    };
  });
  const reminders = input.reminders ?? [];
  if (reminders.length > LIMITS.reminders)
    throw bad('reminders', `at most ${LIMITS.reminders} reminders`, POLICY_ERRORS.TOO_MANY);
  reminders.forEach((r, i) => {
    if (!isPositiveDuration(r)) throw bad(`reminders[${i}]`, `"${r}" is not a positive ISO 8601 duration`);
  });
  const escalation = input.escalation ?? [];
  if (escalation.length > LIMITS.levels)
    throw bad(
      'escalation',
      `an escalation chain has at most ${LIMITS.levels} levels`,
      POLICY_ERRORS.TOO_MANY,
    );
  const levels = escalation.map((level, i) => {
    if (!isPositiveDuration(level.after))
      throw bad(`escalation[${i}].after`, `"${level.after}" is not a positive ISO 8601 duration`);
    return { approvers: validApprovers(level.approvers, `escalation[${i}].approvers`), after: level.after };
  });
  return {
    stages,
    reminders: [...new Set(reminders)],
    escalation: levels,
    finalAction: input.finalAction ?? 'REJECT',
    whenNoApprover: input.whenNoApprover ?? 'ESCALATE',
  };
}

function validApprovers(list: ApproverSpec[], field: string): ApproverSpec[] {
  if (list.length === 0 || list.length > LIMITS.approvers)
    throw bad(field, `name 1 to ${LIMITS.approvers} kinds of approver`, POLICY_ERRORS.NO_APPROVERS);
  return list.map((spec, i) => {
    const ids = spec.userIds ?? [];
    if (spec.kind === 'USERS') {
      if (ids.length === 0 || ids.length > LIMITS.users)
        throw bad(
          `${field}[${i}].userIds`,
          `USERS names 1 to ${LIMITS.users} users`,
          POLICY_ERRORS.NO_APPROVERS,
        );
      return { kind: spec.kind, userIds: [...new Set(ids)] };
    }
    if (ids.length > 0)
      throw bad(
        `${field}[${i}].userIds`,
        `userIds go with USERS only, not ${spec.kind}`,
        POLICY_ERRORS.BAD_APPROVER,
      );
    return { kind: spec.kind };
  });
}

/** Every user a definition names (USERS approvers), to check they exist. */
export function namedUsers(definition: PolicyDefinition): string[] {
  const specs = [
    ...definition.stages.flatMap((s) => s.approvers),
    ...definition.escalation.flatMap((l) => l.approvers),
  ];
  return [...new Set(specs.flatMap((s) => s.userIds ?? []))];
}

/** A policy name: 1 to 200 characters. */
export function validPolicyName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > LIMITS.name)
    throw bad('name', `a policy needs a name of 1 to ${LIMITS.name} characters`, POLICY_ERRORS.BAD_NAME);
  return trimmed;
}

function bad(field: string, message: string, reason: string = POLICY_ERRORS.BAD_DURATION): BadInputError {
  return new BadInputError(field, message, reason);
}
