import { BadInputError, DomainError } from '@concierge/kit';

/**
 * One answer for an unknown login, a wrong password, a locked account and a user who may not sign
 * in, so the answer does not tell which accounts exist.
 */
export function signInFailed(): DomainError {
  return new DomainError(
    'UNAUTHENTICATED',
    'Sign-in failed: the login or password is wrong, or the account cannot sign in at the moment',
    { reason: 'CREDENTIAL.SIGN_IN_FAILED' },
  );
}

/** A refresh token that is unknown, expired, revoked or already used. */
export function sessionEnded(): DomainError {
  return new DomainError('UNAUTHENTICATED', 'This session has ended; sign in again', {
    field: 'refreshToken',
    reason: 'CREDENTIAL.SESSION_ENDED',
  });
}

export function tokenInvalid(): BadInputError {
  return new BadInputError(
    'token',
    'This set-password link is not valid; ask an administrator for a new one',
    'CREDENTIAL.TOKEN_INVALID',
  );
}

export function tokenUsed(): BadInputError {
  return new BadInputError(
    'token',
    'This set-password link has been used already; sign in, or ask an administrator for a new one',
    'CREDENTIAL.TOKEN_USED',
  );
}

export function tokenExpired(): BadInputError {
  return new BadInputError(
    'token',
    'This set-password link has expired; ask an administrator for a new one',
    'CREDENTIAL.TOKEN_EXPIRED',
  );
}
