import { BadInputError, DomainError } from '@concierge/kit';

/** The stable codes of refused sign-ins, sessions and set-password links. */
export const CREDENTIAL_ERRORS = {
  LOCKED: 'CREDENTIAL.LOCKED',
  SESSION_ENDED: 'CREDENTIAL.SESSION_ENDED',
  SIGN_IN_FAILED: 'CREDENTIAL.SIGN_IN_FAILED',
  TOKEN_EXPIRED: 'CREDENTIAL.TOKEN_EXPIRED',
  TOKEN_INVALID: 'CREDENTIAL.TOKEN_INVALID',
  TOKEN_USED: 'CREDENTIAL.TOKEN_USED',
  WRONG_PASSWORD: 'CREDENTIAL.WRONG_PASSWORD',
} as const;

/** The stable codes of refused passwords. */
export const PASSWORD_ERRORS = {
  COMMON: 'PASSWORD.COMMON',
  CONTAINS_IDENTITY: 'PASSWORD.CONTAINS_IDENTITY',
  TOO_LONG: 'PASSWORD.TOO_LONG',
  TOO_SHORT: 'PASSWORD.TOO_SHORT',
  UNCHANGED: 'PASSWORD.UNCHANGED',
} as const;

/**
 * One answer for an unknown login, a wrong password, a locked account and a user who may not sign
 * in, so the answer does not tell which accounts exist.
 */
export function signInFailed(): DomainError {
  return new DomainError(
    'UNAUTHENTICATED',
    'Sign-in failed: the login or password is wrong, or the account cannot sign in at the moment',
    { reason: CREDENTIAL_ERRORS.SIGN_IN_FAILED },
  );
}

/** A refresh token that is unknown, expired, revoked or already used. */
export function sessionEnded(): DomainError {
  return new DomainError('UNAUTHENTICATED', 'This session has ended; sign in again', {
    field: 'refreshToken',
    reason: CREDENTIAL_ERRORS.SESSION_ENDED,
  });
}

export function tokenInvalid(): BadInputError {
  return new BadInputError(
    'token',
    'This set-password link is not valid; ask an administrator for a new one',
    CREDENTIAL_ERRORS.TOKEN_INVALID,
  );
}

export function tokenUsed(): BadInputError {
  return new BadInputError(
    'token',
    'This set-password link has been used already; sign in, or ask an administrator for a new one',
    CREDENTIAL_ERRORS.TOKEN_USED,
  );
}

export function tokenExpired(): BadInputError {
  return new BadInputError(
    'token',
    'This set-password link has expired; ask an administrator for a new one',
    CREDENTIAL_ERRORS.TOKEN_EXPIRED,
  );
}
