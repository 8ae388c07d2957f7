import type { EventDeps } from '../shared/events';
import type { OrganizationRepository } from './organization.repository';

/** What the organisation use cases need: the organisations, and what events need. */
export interface OrganizationsDeps extends EventDeps {
  orgs: OrganizationRepository;
}
