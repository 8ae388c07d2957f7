import { BadInputError, ConflictError, NotFoundError } from '@concierge/kit';

/** The stable codes (`extensions.reason`) of refused delegations; clients may switch on them. */
export const DELEGATION_ERRORS = {
  /** The delegator names themselves as deputy. */
  SELF: 'DELEGATION.SELF',
  /** The deputy is pending, suspended, terminated or unknown to this service. */
  DEPUTY_NOT_ACTIVE: 'DELEGATION.DEPUTY_NOT_ACTIVE',
  /** No event about the delegator has reached this service. */
  DELEGATOR_UNKNOWN: 'DELEGATION.DELEGATOR_UNKNOWN',
  /** A terminated user cannot hand on rights they no longer hold. */
  DELEGATOR_TERMINATED: 'DELEGATION.DELEGATOR_TERMINATED',
  /** validFrom or validTo is not an ISO 8601 date-time. */
  BAD_DATE: 'DELEGATION.BAD_DATE',
  /** The period ends before or when it starts, or has ended already. */
  PERIOD: 'DELEGATION.PERIOD',
  /** APPLICATIONS without application ids, ALL with some, or a blank id. */
  SCOPE: 'DELEGATION.SCOPE',
  /** The new delegation would close a loop of deputies within its period. */
  CYCLE: 'DELEGATION.CYCLE',
  /** A required text is blank. */
  NO_REASON: 'DELEGATION.NO_REASON',
  /** A text or list is longer than allowed. */
  TOO_LONG: 'DELEGATION.TOO_LONG',
  /** The delegation was ended or has expired. */
  ALREADY_ENDED: 'DELEGATION.ALREADY_ENDED',
  /** Other creations held the creation lease for longer than a caller waits. */
  BUSY: 'DELEGATION.BUSY',
  /** No delegation has this id (the kit's NotFoundError names it so). */
  NOT_FOUND: 'DELEGATION.NOT_FOUND',
} as const;

const E = DELEGATION_ERRORS;

/** The delegator named themselves as deputy. */
export const selfDelegation = () =>
  new BadInputError('deputyId', 'A user cannot be their own deputy', E.SELF);

/** The deputy cannot act now: `status` is theirs, or null when this service does not know them. */
export const deputyNotActive = (deputyId: string, status: string | null) =>
  new ConflictError(
    status === null
      ? `User ${deputyId} is unknown here, so cannot be a deputy`
      : `User ${deputyId} is ${status}; only an ACTIVE user can be a deputy`,
    { field: 'deputyId', reason: E.DEPUTY_NOT_ACTIVE },
  );

/** No event about the delegator has arrived. */
export const delegatorUnknown = (delegatorId: string) =>
  new ConflictError(`User ${delegatorId} is unknown here`, {
    field: 'delegatorId',
    reason: E.DELEGATOR_UNKNOWN,
  });

/** The delegator has left. */
export const delegatorTerminated = (delegatorId: string) =>
  new ConflictError(`User ${delegatorId} is TERMINATED and has no rights to delegate`, {
    field: 'delegatorId',
    reason: E.DELEGATOR_TERMINATED,
  });

/** A date that is not ISO 8601. */
export const badDate = (field: string) =>
  new BadInputError(field, `${field} must be an ISO 8601 date-time, e.g. 2027-01-04T08:00:00Z`, E.BAD_DATE);

/** A period that is empty, reversed or over. */
export const badPeriod = (field: string, message: string) => new BadInputError(field, message, E.PERIOD);

/** A scope that contradicts itself. */
export const badScope = (message: string) => new BadInputError('scope.applicationIds', message, E.SCOPE);

/** The deputies from the new deputy back to the delegator, which the new delegation would close. */
export const cycle = (path: readonly string[]) =>
  new ConflictError(`This delegation would close a loop of deputies in its period: ${path.join(' → ')}`, {
    field: 'deputyId',
    reason: E.CYCLE,
  });

/** A blank required text. */
export const blank = (field: string) => new BadInputError(field, `${field} must not be blank`, E.NO_REASON);

/** A text or list over its limit. */
export const tooLong = (field: string, max: number, unit = 'characters') =>
  new BadInputError(field, `${field} is limited to ${max} ${unit}`, E.TOO_LONG);

/** Ending what has ended. */
export const alreadyEnded = (id: string, status: string) =>
  new ConflictError(`Delegation ${id} is ${status} already`, { reason: E.ALREADY_ENDED });

/** The creation lease stayed taken. */
export const busy = () =>
  new ConflictError('Other delegations are being created right now; try again in a moment', {
    reason: E.BUSY,
  });

/** No delegation with this id. */
export const delegationNotFound = (id: string) => new NotFoundError('Delegation', id);
