/** The stable codes of refused inbox arguments; the same reasons as the users service's lists. */
export const INBOX_ERRORS = {
  BAD_CURSOR: 'PAGE.BAD_CURSOR',
  BAD_SIZE: 'PAGE.BAD_SIZE',
} as const;
