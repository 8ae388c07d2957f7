import type { Application } from '../catalog/application';
import type { DirectoryRepository } from '../directory/directory.repository';
import type { ApproverKind, ApproverSpec, PolicyDefinition } from '../policies/approval-policy';
import type { AccessRequest, Assignee, AssigneeReason, ResolveApprovers } from './access-request';

const REASON: Record<ApproverKind, AssigneeReason> = {
  MANAGER: 'MANAGER',
  MANAGERS_MANAGER: 'MANAGERS_MANAGER',
  APPLICATION_OWNERS: 'APPLICATION_OWNER',
  USERS: 'NAMED_USER',
  ORGANIZATION_ADMINS: 'ORGANIZATION_ADMIN',
};

/** The global role whose holders approve as ORGANIZATION_ADMINS where an organisation has no administrator of its own. */
const ADMIN_ROLE = 'admin';
/** What makes someone an administrator of an organisation: managing its people's lifecycle (USER_ADMIN, PARTNER_ADMIN). */
const ORGANIZATION_ADMIN_CAPABILITY = 'user:lifecycle';

/**
 * Looks up, once, every user the policy's approver kinds can name for this request (the
 * beneficiary's manager and their manager, the application's owners, the named users, the
 * administrators of the beneficiary's organisation), keeps those who are ACTIVE, and answers the
 * pure state machine's questions.
 */
export async function approverResolver(
  request: Pick<AccessRequest, 'beneficiaryId'>,
  definition: PolicyDefinition,
  application: Pick<Application, 'ownerIds'>,
  directory: DirectoryRepository,
  now = new Date(),
): Promise<ResolveApprovers> {
  const specs = [
    ...definition.stages.flatMap((s) => s.approvers),
    ...definition.escalation.flatMap((l) => l.approvers),
  ];
  const kinds = new Set(specs.map((s) => s.kind));
  const chain =
    kinds.has('MANAGER') || kinds.has('MANAGERS_MANAGER')
      ? await directory.managerChain(request.beneficiaryId)
      : [];
  const admins = kinds.has('ORGANIZATION_ADMINS')
    ? await organizationAdmins(request.beneficiaryId, directory, now)
    : [];
  const byKind: Record<ApproverKind, string[]> = {
    MANAGER: chain[0] ? [chain[0]._id] : [],
    MANAGERS_MANAGER: chain[1] ? [chain[1]._id] : [],
    APPLICATION_OWNERS: application.ownerIds,
    ORGANIZATION_ADMINS: [...admins].sort(),
    USERS: [],
  };
  const candidates = new Set([...Object.values(byKind).flat(), ...specs.flatMap((s) => s.userIds ?? [])]);
  const active = new Set(
    (await directory.usersByIds([...candidates])).filter((u) => u.status === 'ACTIVE').map((u) => u._id),
  );
  return (wanted: readonly ApproverSpec[]): Assignee[] =>
    wanted.flatMap((spec) =>
      (spec.kind === 'USERS' ? (spec.userIds ?? []) : byKind[spec.kind])
        .filter((userId) => active.has(userId))
        .map((userId) => ({ userId, reason: REASON[spec.kind] })),
    );
}

/**
 * The administrators of the beneficiary's organisation: the nearest level up its tree with live
 * USER_ADMIN or PARTNER_ADMIN holders (assignments of the delegation service), else the global
 * administrators.
 */
async function organizationAdmins(
  beneficiaryId: string,
  directory: DirectoryRepository,
  now: Date,
): Promise<string[]> {
  const beneficiary = await directory.user(beneficiaryId);
  const scoped = beneficiary?.organizationId
    ? await directory.organizationAdmins(beneficiary.organizationId, ORGANIZATION_ADMIN_CAPABILITY, now)
    : [];
  return scoped.length > 0 ? scoped : directory.holdersOf(ADMIN_ROLE);
}
