import type { Principal } from '@concierge/kit';
import type { EventDeps } from '../deputies/delegation.events';
import type { ApplicationsRepository } from '../directory/applications.repository';
import type { OrganizationsRepository } from '../directory/organizations.repository';
import type { ApiTokenRepository } from './api-tokens.repository';

/** What the token use cases need: the stores, the caller with their grants, and the events' needs. */
export interface ApiTokensDeps extends EventDeps {
  tokens: ApiTokenRepository;
  organizations: OrganizationsRepository;
  applications: ApplicationsRepository;
  principal: Principal;
  now?: Date;
}
