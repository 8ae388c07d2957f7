import type DataLoader from 'dataloader';
import type { RequestContext, ServiceRuntime } from '@concierge/kit';
import type { ApplicationsRepository } from '../directory/applications.repository';
import type { OrganizationsRepository } from '../directory/organizations.repository';
import type { ApiTokenRepository } from './api-tokens.repository';
import type { TokenUsage } from './api-tokens.model';

/** What the tokens' resolvers need of a request. */
export interface ApiTokensContext extends RequestContext {
  runtime: ServiceRuntime;
  tokens: ApiTokenRepository;
  organizations: OrganizationsRepository;
  applications: ApplicationsRepository;
  tokenUsage: DataLoader<string, TokenUsage | null>;
}
