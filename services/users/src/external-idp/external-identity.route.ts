import { randomUUID } from 'node:crypto';
import {
  HttpError,
  type ExternalIdentity,
  type ExternalIdentityState,
  type ExternalMapping,
  type Logger,
  type ServiceRuntime,
} from '@concierge/kit';
import type { UsersStores } from '../stores';
import {
  EXTERNAL_IDP_ACTOR,
  resolveExternalIdentity,
  type ResolveOptions,
} from './resolve-external-identity';

/** Longest claim value accepted from the gateway (an issuer URL, a subject, a name). */
const MAX_CLAIM = 1_000;

/**
 * The query of the gateway's call (EXTERNAL_IDENTITY_PATH): the verified issuer and subject, the
 * profile claims, the mapping (`by`) and the organisation code to create unknown users in
 * (`create`, empty: none). The signature covers the whole query string.
 */
export function parseExternalIdentityQuery(params: URLSearchParams): {
  identity: ExternalIdentity;
  options: ResolveOptions;
} {
  const text = (name: string): string | null => {
    const value = params.get(name);
    if (value === null || value === '') return null;
    if (value.length > MAX_CLAIM) throw new HttpError(400, `${name} is too long`, 'BAD_REQUEST');
    return value;
  };
  const issuer = text('iss');
  const subject = text('sub');
  if (issuer === null || subject === null)
    throw new HttpError(400, 'iss and sub are required', 'BAD_REQUEST');
  const by = params.get('by');
  if (by !== 'subject' && by !== 'email')
    throw new HttpError(400, 'by must be subject or email', 'BAD_REQUEST');
  return {
    identity: {
      issuer,
      subject,
      email: text('email'),
      name: text('name'),
      givenName: text('given'),
      familyName: text('family'),
    },
    options: { mapBy: by satisfies ExternalMapping, createIn: text('create') },
  };
}

/** The route's handler: maps (and may create) the identity, answering ExternalIdentityState. */
export function externalIdentityRoute(
  stores: () => UsersStores,
  runtime: ServiceRuntime,
  afterWrite: () => void,
): (params: URLSearchParams) => Promise<ExternalIdentityState> {
  const logger: Logger = runtime.logger.child({ component: 'external-idp' });
  return async (params) => {
    const { identity, options } = parseExternalIdentityQuery(params);
    const { users, orgs, credentials } = stores();
    const correlationId = randomUUID();
    const { created, ...state } = await resolveExternalIdentity(identity, options, {
      users,
      orgs,
      credentials: credentials.credentials,
      contracts: runtime.contracts,
      actor: EXTERNAL_IDP_ACTOR,
      correlationId,
      logger: logger.child({ correlationId }),
    });
    // A user created just now carries user.created in its outbox: publish it without waiting.
    if (created) afterWrite();
    return state;
  };
}
