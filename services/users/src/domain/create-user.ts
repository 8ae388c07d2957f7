import { randomUUID } from 'node:crypto';
import { BadInputError, ConflictError, createEvent, type EventContracts } from '@concierge/kit';
import { DuplicateUserError, type User, type UserRepository } from '../data/user.repository';
import { initialStatus, nextDue } from './lifecycle';

export interface CreateUserInput {
  email: string;
  displayName: string;
  /** ISO 8601 date-time; a future start date keeps the user PENDING until then. */
  startDate?: string | null;
  /** ISO 8601 date-time, after the start date; the user is terminated then. */
  endDate?: string | null;
}

export interface CreateUserDeps {
  users: UserRepository;
  contracts: EventContracts;
  /** Who does it, and the request's correlation id (carried by the event). */
  actor: string;
  correlationId: string;
  now?: Date;
}

function parseDate(field: string, value: string | null | undefined): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2})?)?$/.test(value) || Number.isNaN(date.getTime())) {
    throw new BadInputError(
      field,
      `${field} must be an ISO 8601 date or date-time, e.g. 2027-01-04T08:00:00Z`,
    );
  }
  return date;
}

// Pragmatic e-mail check: one @, no spaces, a dot in the domain (RFC 5321 limits the length to 254).
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Creates a user and its user.created event in the same write. */
export async function createUser(input: CreateUserInput, deps: CreateUserDeps): Promise<User> {
  const email = input.email.trim().toLowerCase();
  if (email.length > 254 || !EMAIL.test(email)) {
    throw new BadInputError('email', `"${input.email.slice(0, 100)}" is not a valid e-mail address`);
  }
  const displayName = input.displayName.trim();
  if (displayName.length < 1 || displayName.length > 200) {
    throw new BadInputError('displayName', 'displayName must have 1 to 200 characters');
  }

  const startDate = parseDate('startDate', input.startDate);
  const endDate = parseDate('endDate', input.endDate);
  if (startDate && endDate && endDate.getTime() <= startDate.getTime()) {
    throw new BadInputError('endDate', 'endDate must be after startDate');
  }

  const id = randomUUID();
  const status = initialStatus({ startDate }, deps.now ?? new Date());
  const due = nextDue(status, { startDate, endDate });
  const event = createEvent('/concierge/users', {
    type: 'user.created',
    subject: id,
    data: {
      userId: id,
      email,
      displayName,
      status,
      startDate: startDate?.toISOString() ?? null,
      endDate: endDate?.toISOString() ?? null,
    },
    actor: deps.actor,
    correlationId: deps.correlationId,
  });
  deps.contracts.validate(event);

  try {
    return await deps.users.insert(
      {
        _id: id,
        email,
        displayName,
        status,
        startDate,
        endDate,
        dueAt: due?.at ?? null,
        dueAction: due?.action ?? null,
      },
      [event],
    );
  } catch (err) {
    if (err instanceof DuplicateUserError) {
      throw new ConflictError(`A user with e-mail ${email} already exists`, {
        field: 'email',
        reason: 'USER.EMAIL_TAKEN',
      });
    }
    throw err;
  }
}
