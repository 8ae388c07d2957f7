import { parseIsoDateTime, type Versioned } from '@concierge/kit';
import { badDate, badPeriod, badScope, blank, tooLong } from './delegation.errors';

export type ScopeKind = 'ALL' | 'APPLICATIONS';
export type DelegationStatus = 'SCHEDULED' | 'ACTIVE' | 'ENDED' | 'EXPIRED';

/** Which approvals the deputy may make: all of the delegator's, or those of some applications. */
export interface DelegationScope {
  kind: ScopeKind;
  /** Empty for ALL. */
  applicationIds: string[];
}

/** A delegation of approval rights: the aggregate the versioned store keeps. */
export interface Delegation extends Versioned {
  delegatorId: string;
  /** The delegator's display name when the delegation was made (the events carry it). */
  delegatorName: string;
  deputyId: string;
  scope: DelegationScope;
  validFrom: Date;
  validTo: Date;
  reason: string;
  allowFurtherDelegation: boolean;
  /** The user who made it: the delegator, one of their managers, or an administrator. */
  createdBy: string;
  createdAt: Date;
  endedBy: string | null;
  endedAt: Date | null;
  endReason: string | null;
  /** When the scheduler recorded that validTo had passed (delegation.expired). */
  expiredAt: Date | null;
}

/** A half-open span of time [from, to). */
export interface Period {
  from: Date;
  to: Date;
}

/** Longest reason kept; a sentence, not a document. */
export const MAX_TEXT = 500;
/** Most applications one delegation names; more is a sign that ALL was meant. */
export const MAX_APPLICATIONS = 100;

/**
 * Where a delegation stands at `now`: ENDED once someone ended it, EXPIRED once validTo has passed
 * (whether or not the scheduler has recorded it yet), SCHEDULED before validFrom, else ACTIVE.
 */
export function statusOf(
  d: Pick<Delegation, 'validFrom' | 'validTo' | 'endedAt' | 'expiredAt'>,
  now: Date,
): DelegationStatus {
  if (d.endedAt) return 'ENDED';
  if (d.expiredAt || d.validTo.getTime() <= now.getTime()) return 'EXPIRED';
  if (now.getTime() < d.validFrom.getTime()) return 'SCHEDULED';
  return 'ACTIVE';
}

/** True while the delegation is in force or still to come: the ones that can be ended, or close a cycle. */
export function isLive(d: Pick<Delegation, 'validFrom' | 'validTo' | 'endedAt' | 'expiredAt'>, now: Date) {
  const status = statusOf(d, now);
  return status === 'ACTIVE' || status === 'SCHEDULED';
}

/** True when two half-open periods share a moment. */
export function overlaps(a: Period, b: Period): boolean {
  return a.from.getTime() < b.to.getTime() && b.from.getTime() < a.to.getTime();
}

/** When the scheduler must look at the delegation: its end, unless it has ended or expired already. */
export function expiryDue(d: Delegation): Date | null {
  return d.endedAt || d.expiredAt ? null : d.validTo;
}

/**
 * Reads a requested period: validFrom defaults to now (a past one is kept as given: the delegation
 * is then in force at once); validTo must come after validFrom and after now.
 */
export function periodOf(input: { validFrom?: string | null; validTo: string }, now: Date): Period {
  const from = input.validFrom == null ? now : parseIsoDateTime(input.validFrom);
  if (!from) throw badDate('validFrom');
  const to = parseIsoDateTime(input.validTo);
  if (!to) throw badDate('validTo');
  if (to.getTime() <= from.getTime()) throw badPeriod('validTo', 'validTo must come after validFrom');
  if (to.getTime() <= now.getTime()) throw badPeriod('validTo', 'validTo has passed already');
  return { from, to };
}

/** Reads a requested scope: APPLICATIONS names at least one application, ALL names none. */
export function scopeOf(input: {
  kind: ScopeKind;
  applicationIds?: readonly string[] | null;
}): DelegationScope {
  const ids = [...new Set((input.applicationIds ?? []).map((id) => id.trim()))];
  if (ids.includes('')) throw badScope('An application id must not be blank');
  if (input.kind === 'ALL') {
    if (ids.length > 0) throw badScope('Scope ALL covers every application; leave applicationIds out');
    return { kind: 'ALL', applicationIds: [] };
  }
  if (ids.length === 0) throw badScope('Scope APPLICATIONS needs at least one application id');
  if (ids.length > MAX_APPLICATIONS) throw tooLong('scope.applicationIds', MAX_APPLICATIONS, 'applications');
  return { kind: 'APPLICATIONS', applicationIds: ids };
}

/** A required free text, trimmed. */
export function requiredText(field: string, text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') throw blank(field);
  if (trimmed.length > MAX_TEXT) throw tooLong(field, MAX_TEXT);
  return trimmed;
}

/** An optional free text, trimmed; blank counts as absent. */
export function optionalText(field: string, text: string | null | undefined): string | null {
  const trimmed = text?.trim() ?? '';
  if (trimmed.length > MAX_TEXT) throw tooLong(field, MAX_TEXT);
  return trimmed === '' ? null : trimmed;
}

/** The version in which `by` ends a live delegation at `now`. */
export function ended(d: Delegation, by: string, reason: string | null, now: Date): Delegation {
  return { ...d, endedBy: by, endedAt: now, endReason: reason };
}

/** The version in which the scheduler records that validTo has passed. */
export function expired(d: Delegation, now: Date): Delegation {
  return { ...d, expiredAt: now };
}
