import { randomUUID } from 'node:crypto';
import { BadInputError, ConflictError, createEvent, type EventContracts } from '@concierge/kit';
import { DuplicateUserError, type User, type UserRepository } from '../data/user.repository';

export interface CreateUserInput {
  email: string;
  displayName: string;
}

export interface CreateUserDeps {
  users: UserRepository;
  contracts: EventContracts;
  /** Who does it, and the request's correlation id (carried by the event). */
  actor: string;
  correlationId: string;
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

  const id = randomUUID();
  const status = 'ACTIVE' as const;
  const event = createEvent('/concierge/users', {
    type: 'user.created',
    subject: id,
    data: { userId: id, email, displayName, status },
    actor: deps.actor,
    correlationId: deps.correlationId,
  });
  deps.contracts.validate(event);

  try {
    return await deps.users.insert({ _id: id, email, displayName, status }, [event]);
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
