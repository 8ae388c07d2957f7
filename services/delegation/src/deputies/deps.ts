import type { DirectoryRepository } from '../directory/directory.repository';
import type { CreationLease } from './creation-lease';
import type { DelegationRepository } from './delegation.repository';
import type { EventDeps } from './delegation.events';

/** What the deputies use cases need: the stores, and what their events need. */
export interface DeputiesDeps extends EventDeps {
  delegations: DelegationRepository;
  directory: DirectoryRepository;
  lease: CreationLease;
  /** The moment the use case decides at; absent: now. */
  now?: Date;
}
