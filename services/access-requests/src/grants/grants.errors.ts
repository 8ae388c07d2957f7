/** The stable codes (`extensions.reason`) of refused grant operations. */
export const GRANT_ERRORS = {
  ALREADY_HELD: 'GRANT.ALREADY_HELD',
  NOT_LIVE: 'GRANT.NOT_LIVE',
  PERIOD: 'GRANT.PERIOD',
  REASON_REQUIRED: 'GRANT.REASON_REQUIRED',
  TOO_LONG: 'GRANT.TOO_LONG',
} as const;
