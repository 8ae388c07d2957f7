import type DataLoader from 'dataloader';
import type { RequestContext, ServiceRuntime } from '@concierge/kit';
import type { DirectoryRepository, DirectoryUser } from '../directory/directory.repository';
import type { CreationLease } from './creation-lease';
import type { Delegation as DelegationRow } from './delegation';
import type { DelegationRepository } from './delegation.repository';

/** What the deputies' resolvers and access checks need of a request. */
export interface DeputiesContext extends RequestContext {
  runtime: ServiceRuntime;
  delegations: DelegationRepository;
  directory: DirectoryRepository;
  lease: CreationLease;
  directoryUserById: DataLoader<string, DirectoryUser | null>;
  delegationById: DataLoader<string, DelegationRow | null>;
  delegationsGiven: DataLoader<string, DelegationRow[]>;
  delegationsReceived: DataLoader<string, DelegationRow[]>;
}
