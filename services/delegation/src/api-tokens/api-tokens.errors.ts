import { BadInputError, ConflictError, DomainError } from '@concierge/kit';
import { MAX_TOKEN_LIFETIME_DAYS } from './limits';

/** The stable codes (`extensions.reason`) of refused token changes. */
export const API_TOKEN_ERRORS = {
  NAME: 'API_TOKEN.NAME',
  CAPABILITY: 'API_TOKEN.CAPABILITY',
  /** A token may not carry the power to assign roles or create tokens. */
  NOT_FOR_TOKENS: 'API_TOKEN.NOT_FOR_TOKENS',
  EXPIRY: 'API_TOKEN.EXPIRY',
  APPLICATIONS: 'API_TOKEN.APPLICATIONS',
  ORGANIZATION: 'API_TOKEN.ORGANIZATION',
  /** The creator does not hold what the token asks for, where it asks for it. */
  ESCALATION: 'API_TOKEN.ESCALATION',
  REVOKED: 'API_TOKEN.REVOKED',
} as const;

const E = API_TOKEN_ERRORS;

export const badName = () => new BadInputError('name', 'A token needs a name of 1 to 100 characters', E.NAME);
export const badCapabilities = (unknown: readonly string[]) =>
  new BadInputError(
    'capabilities',
    unknown.length === 0
      ? 'A token needs at least one capability'
      : `Unknown capabilities: ${unknown.slice(0, 10).join(', ')}`,
    E.CAPABILITY,
  );
export const forbiddenCapabilities = (names: readonly string[]) =>
  new BadInputError('capabilities', `A token cannot carry ${names.join(', ')}`, E.NOT_FOR_TOKENS);
export const badExpiry = () =>
  new BadInputError(
    'expiresAt',
    `expiresAt must be an ISO 8601 date-time in the future, at most ${MAX_TOKEN_LIFETIME_DAYS} days ahead`,
    E.EXPIRY,
  );
export const tooManyApplications = (max: number) =>
  new BadInputError('applicationIds', `A token may name at most ${max} applications`, E.APPLICATIONS);
export const unknownApplication = (id: string) =>
  new BadInputError('applicationIds', `No application ${id.slice(0, 64)} is known`, E.APPLICATIONS);
export const unknownOrganization = (id: string) =>
  new BadInputError('organizationId', `No organisation ${id.slice(0, 64)} is known`, E.ORGANIZATION);
export const beyondCreator = (missing: readonly string[]) =>
  new DomainError(
    'FORBIDDEN',
    `You do not hold ${missing.slice(0, 10).join(', ')} over this organisation, so a token of yours cannot either`,
    { reason: E.ESCALATION },
  );
export const alreadyRevoked = (id: string) =>
  new ConflictError(`Token ${id} was revoked already`, { reason: E.REVOKED });
