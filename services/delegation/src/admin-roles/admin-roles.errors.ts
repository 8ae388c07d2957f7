import { BadInputError, ConflictError, DomainError } from '@concierge/kit';

/** The stable codes (`extensions.reason`) of refused admin role changes; clients may switch on them. */
export const ADMIN_ROLE_ERRORS = {
  /** A date is not an ISO 8601 date-time. */
  BAD_DATE: 'ADMIN_ROLE.BAD_DATE',
  /** The period ends before it starts, or has ended already. */
  PERIOD: 'ADMIN_ROLE.PERIOD',
  /** The scope contradicts itself, or names an organisation this service does not know. */
  SCOPE: 'ADMIN_ROLE.SCOPE',
  /** A PARTNER scope names an organisation that is not a partner. */
  NOT_A_PARTNER: 'ADMIN_ROLE.NOT_A_PARTNER',
  /** No built-in or custom role has this name. */
  UNKNOWN_ROLE: 'ADMIN_ROLE.UNKNOWN_ROLE',
  /** A custom role's name is malformed or taken by a built-in role. */
  ROLE_NAME: 'ADMIN_ROLE.ROLE_NAME',
  /** A custom role with this name exists. */
  ROLE_EXISTS: 'ADMIN_ROLE.ROLE_EXISTS',
  /** A capability is not one Concierge knows, or the list is empty. */
  CAPABILITY: 'ADMIN_ROLE.CAPABILITY',
  /** The assignee is unknown to this service, or terminated. */
  ASSIGNEE: 'ADMIN_ROLE.ASSIGNEE',
  /** Someone tried to assign a role to themselves. */
  SELF: 'ADMIN_ROLE.SELF',
  /** The assigner does not hold, in a scope covering the target scope, every capability they give. */
  ESCALATION: 'ADMIN_ROLE.ESCALATION',
  /** The assignment was revoked already. */
  REVOKED: 'ADMIN_ROLE.REVOKED',
  /** A text is longer than allowed. */
  TOO_LONG: 'ADMIN_ROLE.TOO_LONG',
} as const;

const E = ADMIN_ROLE_ERRORS;

export const badDate = (field: string, value: string) =>
  new BadInputError(field, `${field} must be an ISO 8601 date-time, not "${value.slice(0, 40)}"`, E.BAD_DATE);
export const badPeriod = () =>
  new BadInputError('validTo', 'validTo must be after validFrom and in the future', E.PERIOD);
export const badScope = (message: string) => new BadInputError('scope', message, E.SCOPE);
export const notAPartner = (id: string) =>
  new BadInputError('scope', `Organisation ${id} is not a partner organisation`, E.NOT_A_PARTNER);
export const unknownRole = (role: string) =>
  new BadInputError('role', `No admin role is called ${role.slice(0, 64)}`, E.UNKNOWN_ROLE);
export const badRoleName = (name: string) =>
  new BadInputError(
    'name',
    `A custom role's name is 2-64 upper-case letters, digits or underscores and not a built-in role's (${name.slice(0, 64)})`,
    E.ROLE_NAME,
  );
export const roleExists = (name: string) =>
  new ConflictError(`A role called ${name} exists already`, { field: 'name', reason: E.ROLE_EXISTS });
export const badCapability = (unknown: readonly string[]) =>
  new BadInputError(
    'capabilities',
    unknown.length === 0
      ? 'A role needs at least one capability'
      : `Unknown capabilities: ${unknown.slice(0, 10).join(', ')}`,
    E.CAPABILITY,
  );
export const badAssignee = (userId: string) =>
  new BadInputError('userId', `User ${userId} is unknown here or terminated`, E.ASSIGNEE);
export const selfAssignment = () =>
  new DomainError('FORBIDDEN', 'Nobody can assign an admin role to themselves', { reason: E.SELF });
export const escalation = (missing: readonly string[]) =>
  new DomainError(
    'FORBIDDEN',
    `You do not hold ${missing.slice(0, 10).join(', ')} in a scope that covers this one, so you cannot give it`,
    { reason: E.ESCALATION },
  );
export const alreadyRevoked = (id: string) =>
  new ConflictError(`Assignment ${id} was revoked already`, { reason: E.REVOKED });
export const tooLong = (field: string, max: number) =>
  new BadInputError(field, `${field} is longer than ${max} characters`, E.TOO_LONG);
