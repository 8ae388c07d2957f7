import type { OrganizationsDeps } from '../organizations/deps';
import type { UserRepository } from './user.repository';

/** What the users use cases need: the users and organisations, and what events need. */
export interface UsersDeps extends OrganizationsDeps {
  users: UserRepository;
}
