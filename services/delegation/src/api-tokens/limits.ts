/** The longest an API token may live. */
export const MAX_TOKEN_LIFETIME_DAYS = 90;
/** How long before its expiry the creator is told. */
export const EXPIRY_NOTICE_DAYS = 7;
/** The most applications one token may name. */
export const MAX_APPLICATIONS = 50;
