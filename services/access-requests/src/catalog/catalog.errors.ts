/** The stable codes (`extensions.reason`) of refused catalogue changes. */
export const CATALOG_ERRORS = {
  BAD_DURATION: 'APPLICATION.BAD_DURATION',
  BAD_NAME: 'APPLICATION.BAD_NAME',
  BASE_ACCESS_TAKEN: 'APPLICATION.BASE_ACCESS_TAKEN',
  NAME_TAKEN: 'APPLICATION.NAME_TAKEN',
  NO_OWNER: 'APPLICATION.NO_OWNER',
  TOO_LONG: 'APPLICATION.TOO_LONG',
  UNKNOWN_ORGANIZATION: 'APPLICATION.UNKNOWN_ORGANIZATION',
  UNKNOWN_POLICY: 'APPLICATION.UNKNOWN_POLICY',
  UNKNOWN_USER: 'APPLICATION.UNKNOWN_USER',
  ENTITLEMENT_NAME_TAKEN: 'ENTITLEMENT.NAME_TAKEN',
  /** The organisation named as a partner is unknown here or not a partner organisation. */
  NOT_A_PARTNER: 'APPLICATION.NOT_A_PARTNER',
  /** An entitlement named for a partner is not the application's. */
  UNKNOWN_ENTITLEMENT: 'APPLICATION.UNKNOWN_ENTITLEMENT',
  /** The entitlement is not provided to the beneficiary's partner organisation. */
  NOT_PROVIDED: 'APPLICATION.NOT_PROVIDED',
} as const;
