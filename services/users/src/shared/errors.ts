/** The stable codes of refused page arguments, shared by every list of this service. */
export const PAGE_ERRORS = {
  BAD_CURSOR: 'PAGE.BAD_CURSOR',
  BAD_SIZE: 'PAGE.BAD_SIZE',
  TEXT_EMPTY: 'PAGE.TEXT_EMPTY',
  TEXT_TOO_LONG: 'PAGE.TEXT_TOO_LONG',
} as const;
