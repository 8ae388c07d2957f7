import { randomUUID } from 'node:crypto';
import type { EventContracts, EventEnvelope, HandlerMap, Logger } from '@concierge/kit';
import type { ApplicationRepository } from '../catalog/application.repository';
import type { DirectoryRepository } from '../directory/directory.repository';
import type { GrantRepository } from '../grants/grant.repository';
import { reconcileRule, reconcileUser, type ReconcileDeps } from './reconcile-birthright';
import type { RuleRepository } from './rule.repository';

export interface BirthrightConsumerDeps {
  contracts: EventContracts;
  rules: RuleRepository;
  applications: ApplicationRepository;
  directory: DirectoryRepository;
  grants: GrantRepository;
  logger: Logger;
  onChange?: () => void;
}

interface RuleData {
  ruleId: string;
  organizationId: string;
  includeSubtree: boolean;
  entitlementId: string;
  changes?: Record<string, { before: unknown; after: unknown }>;
}

/**
 * Birthright rules evaluated when they matter: a user created active, activated or moved (a
 * terminated user loses every grant elsewhere), and every user a rule covers when it is created,
 * changed or deleted. Runs after the directory projection has taken the same event in.
 */
export function birthrightHandlers(deps: BirthrightConsumerDeps): HandlerMap {
  const run = (event: EventEnvelope): ReconcileDeps => ({
    ...deps,
    actor: 'system:birthright',
    correlationId: event.correlationid || randomUUID(),
    now: new Date(),
  });
  const user = async (event: EventEnvelope) => {
    await reconcileUser(String(event.data.userId), run(event));
    deps.onChange?.();
  };
  const rule = async (event: EventEnvelope) => {
    const d = event.data as unknown as RuleData;
    const before = d.changes?.organizationId?.before;
    const subtreeBefore = d.changes?.includeSubtree?.before;
    const orgs = new Set<string>();
    const add = async (org: string, subtree: boolean) => {
      for (const id of subtree ? await deps.directory.subtree(org) : [org]) orgs.add(id);
    };
    await add(d.organizationId, d.includeSubtree);
    if (typeof before === 'string' || typeof subtreeBefore === 'boolean')
      await add(
        typeof before === 'string' ? before : d.organizationId,
        typeof subtreeBefore === 'boolean' ? subtreeBefore : d.includeSubtree,
      );
    const evaluated = await reconcileRule([...orgs], d.ruleId, d.entitlementId, run(event));
    deps.logger.info({ ruleId: d.ruleId, type: event.type, evaluated }, 'birthright rule evaluated');
    deps.onChange?.();
  };
  return {
    // A user created ACTIVE (no start date) is never activated: their creation is their start.
    'user.created': user,
    'user.activated': user,
    'user.moved': user,
    'birthright-rule.created': rule,
    'birthright-rule.updated': rule,
    'birthright-rule.deleted': rule,
  };
}
