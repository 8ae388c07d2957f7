/** The stable codes of refused audit-trail queries. */
export const AUDIT_ERRORS = {
  BAD_FILTER: 'AUDIT.BAD_FILTER',
  BAD_TIME: 'AUDIT.BAD_TIME',
  EMPTY_RANGE: 'AUDIT.EMPTY_RANGE',
} as const;
