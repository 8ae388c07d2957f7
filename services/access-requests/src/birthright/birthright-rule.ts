import type { Versioned } from '@concierge/kit';
import type { DirectoryUser } from '../directory/directory.model';

/** Users of an organisation (and its subtree), of an employee type, hold an entitlement. */
export interface BirthrightRule extends Versioned {
  name: string;
  organizationId: string;
  includeSubtree: boolean;
  /** Null: every employee type. */
  employeeType: DirectoryUser['employeeType'] | null;
  applicationId: string;
  entitlementId: string;
  deleted: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** Whether a rule gives its entitlement to a user; `orgPath` is the user's organisation and its ancestors. */
export function matches(rule: BirthrightRule, user: DirectoryUser, orgPath: readonly string[]): boolean {
  // A suspended user keeps what they hold (for their return); pending and terminated users hold nothing.
  if (rule.deleted || (user.status !== 'ACTIVE' && user.status !== 'SUSPENDED')) return false;
  if (rule.employeeType && rule.employeeType !== user.employeeType) return false;
  return rule.includeSubtree
    ? orgPath.includes(rule.organizationId)
    : user.organizationId === rule.organizationId;
}

/** The entitlements a user should hold by birthright, each with the first rule that gives it. */
export function desiredEntitlements(
  rules: readonly BirthrightRule[],
  user: DirectoryUser,
  orgPath: readonly string[],
): Map<string, BirthrightRule> {
  const out = new Map<string, BirthrightRule>();
  for (const rule of rules)
    if (matches(rule, user, orgPath) && !out.has(rule.entitlementId)) out.set(rule.entitlementId, rule);
  return out;
}
