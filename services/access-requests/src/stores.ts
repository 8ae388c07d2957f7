import type { Connection } from 'mongoose';
import type { EventContracts, Logger } from '@concierge/kit';
import { ApplicationRepository } from './catalog/application.repository';
import { initApplicationModel } from './catalog/application.model';
import { RuleRepository } from './birthright/rule.repository';
import { deputyModel } from './deputies/deputy.model';
import { DeputyRepository } from './deputies/deputy.repository';
import { directoryModels, initDirectoryModels } from './directory/directory.model';
import { DirectoryRepository } from './directory/directory.repository';
import { GrantRepository } from './grants/grant.repository';
import { PolicyRepository } from './policies/policy.repository';
import { RequestRepository } from './requests/request.repository';
import { requestEffects } from './requests/request-effects';

/** Every store of the access-requests service, built once per process and passed down. */
export interface AccessStores {
  applications: ApplicationRepository;
  policies: PolicyRepository;
  rules: RuleRepository;
  requests: RequestRepository;
  grants: GrantRepository;
  directory: DirectoryRepository;
  deputies: DeputyRepository;
}

/** The collections whose documents carry outbox events: every versioned store's log. */
export const OUTBOX_COLLECTIONS = [
  'applications_versions',
  'approval_policies_versions',
  'birthright_rules_versions',
  'access_requests_versions',
  'grants_versions',
];

/** `onCommitted` runs after every committed change (the service kicks its outbox relay). */
export function createStores(
  db: Connection,
  options: { contracts: EventContracts; logger: Logger; onCommitted?: () => void },
): AccessStores {
  const common = { onCommitted: options.onCommitted, logger: options.logger };
  const grants = new GrantRepository(db, common);
  let requests: RequestRepository | null = null;
  requests = new RequestRepository(db, {
    ...common,
    runEffects: requestEffects({
      contracts: options.contracts,
      grants,
      requests: () => requests as RequestRepository,
      logger: options.logger.child({ component: 'request-effects' }),
    }),
  });
  return {
    applications: new ApplicationRepository(db, common),
    policies: new PolicyRepository(db, common),
    rules: new RuleRepository(db, common),
    requests,
    grants,
    directory: new DirectoryRepository(directoryModels(db)),
    deputies: new DeputyRepository(deputyModel(db)),
  };
}

/** Creates every collection's indexes. */
export async function initStores(db: Connection, stores: AccessStores): Promise<void> {
  await initDirectoryModels(db);
  await deputyModel(db).init();
  await initApplicationModel(db);
  await Promise.all([
    stores.applications.store.init(),
    stores.policies.store.init(),
    stores.rules.store.init(),
    stores.requests.init(),
    stores.grants.init(),
  ]);
}
