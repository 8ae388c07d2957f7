import type { Connection } from 'mongoose';
import type { Logger } from '@concierge/kit';
import { directoryUserModel } from './directory/directory-user.model';
import { DirectoryRepository } from './directory/directory.repository';
import { CreationLease } from './deputies/creation-lease';
import { delegationModel } from './deputies/delegation.model';
import { DelegationRepository } from './deputies/delegation.repository';

/** Every store of the delegation service, built once per process and passed down. */
export interface DelegationStores {
  directory: DirectoryRepository;
  delegations: DelegationRepository;
  lease: CreationLease;
}

/** `onCommitted` runs after every committed change of a delegation (the service kicks its relay). */
export function createStores(
  db: Connection,
  options: { onCommitted?: () => void; logger?: Logger } = {},
): DelegationStores {
  return {
    directory: new DirectoryRepository(directoryUserModel(db)),
    delegations: new DelegationRepository(delegationModel(db), options),
    lease: new CreationLease(db),
  };
}

/** Creates every collection's indexes. */
export async function initStores(stores: DelegationStores): Promise<void> {
  await stores.directory.init();
  await stores.delegations.init();
}
