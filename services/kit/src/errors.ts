import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { Logger } from './logger';

/** Stable error codes carried in `extensions.code`. */
export type ErrorCode =
  'BAD_USER_INPUT' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'INTERNAL_SERVER_ERROR';

const EXPOSED: ReadonlySet<string> = new Set([
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'GRAPHQL_VALIDATION_FAILED',
  'GRAPHQL_PARSE_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'OPERATION_RESOLUTION_FAILURE',
  // The gateway's operation limits and sign-in throttle.
  'OPERATION_LIMIT_EXCEEDED',
  'TOO_MANY_REQUESTS',
]);

/** Numbers a client may act on, kept beside the code: a limit, what was asked, when to retry. */
const EXPOSED_NUMBERS = ['limit', 'actual', 'retryAfterSeconds'] as const;

/** An expected failure a client can act on. `reason` is a finer, stable domain code. */
export class DomainError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extra: { field?: string; reason?: string } = {}) {
    super(message, { extensions: { code, ...extra } });
  }
}

export class BadInputError extends DomainError {
  constructor(field: string, message: string, reason?: string) {
    super('BAD_USER_INPUT', message, { field, ...(reason ? { reason } : {}) });
  }
}
export class NotFoundError extends DomainError {
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} ${id} does not exist`, { reason: `${what.toUpperCase()}.NOT_FOUND` });
  }
}
export class ForbiddenError extends DomainError {
  constructor(message = 'You are not allowed to do this') {
    super('FORBIDDEN', message);
  }
}
export class UnauthenticatedError extends DomainError {
  constructor(message = 'Sign in first') {
    super('UNAUTHENTICATED', message);
  }
}
export class ConflictError extends DomainError {
  constructor(message: string, extra: { field?: string; reason?: string } = {}) {
    super('CONFLICT', message, extra);
  }
}

/**
 * Apollo `formatError`: errors with an exposed code pass through; anything else is logged with the
 * correlation id and replaced by a generic message, so stack traces and internals never leak.
 */
export function createErrorFormatter(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && EXPOSED.has(code)) {
      // Keep only the stable keys: code, field, reason, and the numbers above.
      const extensions = formatted.extensions ?? {};
      const { code: c, field, reason } = extensions;
      const numbers = EXPOSED_NUMBERS.filter((key) => typeof extensions[key] === 'number').map(
        (key) => [key, extensions[key]] as const,
      );
      return {
        ...formatted,
        extensions: {
          code: c,
          ...(field ? { field } : {}),
          ...(reason ? { reason } : {}),
          ...Object.fromEntries(numbers),
        },
      };
    }
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    logger.error({ err: original, path: formatted.path }, 'internal error in resolver');
    return {
      message: 'Internal server error',
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
      ...(formatted.path ? { path: formatted.path } : {}),
    };
  };
}
