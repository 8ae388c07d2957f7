import { addDuration, type Versioned } from '@concierge/kit';

export type GrantSource = 'REQUEST' | 'BIRTHRIGHT' | 'ADMINISTRATOR';
export type GrantStatus = 'SCHEDULED' | 'ACTIVE' | 'EXPIRED' | 'REVOKED';
export type RevocationCause =
  | 'MANUAL'
  | 'TERMINATION'
  | 'BIRTHRIGHT_NO_LONGER_MATCHES'
  | 'RULE_DELETED'
  /** An approved removal request. */
  | 'REQUEST';

/** Who holds which entitlement, from when to when, and why. */
export interface Grant extends Versioned {
  beneficiaryId: string;
  applicationId: string;
  applicationName: string;
  entitlementId: string;
  entitlementName: string;
  validFrom: Date;
  validTo: Date | null;
  source: GrantSource;
  requestId: string | null;
  ruleId: string | null;
  grantedBy: string;
  /** Why an administrator granted it directly. */
  reason?: string | null;
  status: GrantStatus;
  /** Whether grant.expiring went out for the current validTo. */
  expiringNotified: boolean;
  extensions: { requestId: string; previousValidTo: Date | null; validTo: Date | null; at: Date }[];
  endedAt: Date | null;
  cause: RevocationCause | null;
  endReason: string | null;
  createdAt: Date;
}

/** How long before its end a grant's holder hears that it expires. */
export const EXPIRING_NOTICE = 'P7D';

/** A grant still gives access, or will. */
export function isLive(grant: Pick<Grant, 'status'>): boolean {
  return grant.status === 'SCHEDULED' || grant.status === 'ACTIVE';
}

/** The key at most one live grant holds: a person and an entitlement. */
export function holdingKey(beneficiaryId: string, entitlementId: string): string {
  return `${beneficiaryId}|${entitlementId}`;
}

/** When the expiry notice is due: 7 days before the end, or at the start of a shorter grant. */
export function expiringAt(grant: Pick<Grant, 'validFrom' | 'validTo'>): Date | null {
  if (!grant.validTo) return null;
  const notice = addDuration(grant.validTo, EXPIRING_NOTICE, -1);
  return notice.getTime() > grant.validFrom.getTime() ? notice : grant.validFrom;
}

/** When the scheduler must look at a grant next: its start, its expiry notice, or its end. */
export function grantDue(grant: Grant): Date | null {
  if (grant.status === 'SCHEDULED') return grant.validFrom;
  if (grant.status !== 'ACTIVE' || !grant.validTo) return null;
  const notice = expiringAt(grant);
  return !grant.expiringNotified && notice && notice.getTime() < grant.validTo.getTime()
    ? notice
    : grant.validTo;
}

/** What a grant's events say about it. */
export function grantFields(grant: Grant): Record<string, unknown> {
  return {
    grantId: grant._id,
    beneficiaryId: grant.beneficiaryId,
    applicationId: grant.applicationId,
    applicationName: grant.applicationName,
    entitlementId: grant.entitlementId,
    entitlementName: grant.entitlementName,
  };
}
