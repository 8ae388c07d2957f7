import { randomUUID } from 'node:crypto';
import { mapBounded, type Logger } from '@concierge/kit';
import { entitlementOf } from '../catalog/application';
import type { ApplicationRepository } from '../catalog/application.repository';
import type { DirectoryRepository } from '../directory/directory.repository';
import { isLive } from '../grants/grant';
import { createGrant, revokeGrant, type GrantDeps } from '../grants/grant-changes';
import { desiredEntitlements, type BirthrightRule } from './birthright-rule';
import type { RuleRepository } from './rule.repository';

export interface ReconcileDeps extends GrantDeps {
  rules: RuleRepository;
  applications: ApplicationRepository;
  directory: DirectoryRepository;
  logger: Logger;
}

/** Users evaluated at once when a rule changes. */
const USERS_AT_ONCE = 8;

/**
 * Brings one user's birthright grants in line with the rules: grants the entitlements the rules
 * give them and they do not hold yet (without approval), and revokes birthright grants no rule
 * gives them any more. Grants from requests or administrators are left alone. Idempotent: run on
 * activation, move and termination, and for every user a changed rule covers.
 */
export async function reconcileUser(
  userId: string,
  deps: ReconcileDeps,
  rules?: BirthrightRule[],
): Promise<void> {
  const user = await deps.directory.user(userId);
  if (!user) return;
  const all = rules ?? (await deps.rules.active());
  const path =
    user.status === 'ACTIVE' || user.status === 'SUSPENDED'
      ? await deps.directory.organizationPath(user.organizationId)
      : [];
  const desired = desiredEntitlements(all, user, path);
  const live = (await deps.grants.ofBeneficiaries([userId])).filter(isLive);
  for (const grant of live.filter((g) => g.source === 'BIRTHRIGHT' && !desired.has(g.entitlementId))) {
    const ruleGone = !all.some((r) => r._id === grant.ruleId);
    await revokeGrant(
      grant._id,
      ruleGone ? 'RULE_DELETED' : 'BIRTHRIGHT_NO_LONGER_MATCHES',
      ruleGone ? 'The birthright rule that gave it was deleted' : 'No birthright rule gives it any more',
      deps,
      { quiet: true },
    );
  }
  const held = new Set(live.map((g) => g.entitlementId));
  for (const [entitlementId, rule] of desired) {
    if (held.has(entitlementId)) continue;
    const application = await deps.applications.findById(rule.applicationId);
    const entitlement = application && entitlementOf(application, entitlementId);
    if (!application || !entitlement) continue;
    const { heldBy } = await createGrant(
      {
        id: randomUUID(),
        beneficiaryId: userId,
        applicationId: application._id,
        applicationName: application.name,
        entitlementId,
        entitlementName: entitlement.name,
        validFrom: deps.now,
        validTo: null,
        source: 'BIRTHRIGHT',
        requestId: null,
        ruleId: rule._id,
      },
      deps,
    );
    if (heldBy) deps.logger.info({ userId, entitlementId, heldBy }, 'birthright entitlement held already');
  }
}

/**
 * Evaluates every user a rule covers, before and after a change: the users of its organisation
 * (and subtree), read organisation by organisation, and those holding a grant from it.
 */
export async function reconcileRule(
  organizationIds: string[],
  ruleId: string,
  entitlementId: string,
  deps: ReconcileDeps,
): Promise<number> {
  const users = new Set<string>();
  for (const org of organizationIds) for (const u of await deps.directory.usersIn(org)) users.add(u._id);
  for (const g of await deps.grants.byEntitlement(entitlementId))
    if (g.ruleId === ruleId && isLive(g)) users.add(g.beneficiaryId);
  const rules = await deps.rules.active();
  await mapBounded([...users], USERS_AT_ONCE, (id) => reconcileUser(id, deps, rules));
  return users.size;
}
