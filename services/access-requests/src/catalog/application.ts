import { BadInputError, parseDuration, type Versioned } from '@concierge/kit';
import { CATALOG_ERRORS } from './catalog.errors';

export type RiskLevel = 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';

/** A role or permission within an application, with the policy its requests follow. */
export interface Entitlement {
  id: string;
  name: string;
  description: string | null;
  /** The account itself: approving it is account approval (at most one per application). */
  baseAccess: boolean;
  /** ISO 8601 duration a grant of it may last at most; null: no limit. */
  maxDuration: string | null;
  policyId: string;
  /** Whether a policy's final action may approve a request for it. */
  allowAutoApproval: boolean;
  createdAt: Date;
}

/** An application provided to a partner organisation: which of its entitlements that partner's people may hold. */
export interface PartnerProvision {
  organizationId: string;
  entitlementIds: string[];
}

/** An application of the catalogue with its entitlements (one aggregate). */
export interface Application extends Versioned {
  name: string;
  description: string | null;
  ownerIds: string[];
  /** Organisations (with their subtrees) whose users may request it; empty: everyone. */
  requestableBy: string[];
  riskLevel: RiskLevel;
  entitlements: Entitlement[];
  /** The entitlements' ids, top level: "which application holds entitlement X" is an equality. */
  entitlementIds: string[];
  /**
   * Partner organisations the application is provided to, each with the entitlements its people
   * may hold (absent on applications stored before partners were: none).
   */
  partners?: PartnerProvision[];
  createdAt: Date;
  updatedAt: Date;
}

/** A name of 1 to `max` characters, trimmed; BAD_USER_INPUT on `field` otherwise. */
export function validName(value: string, field: string, max = 200): string {
  const name = value.trim();
  if (name === '' || name.length > max)
    throw new BadInputError(field, `${field} must be 1 to ${max} characters`, CATALOG_ERRORS.BAD_NAME);
  return name;
}

/** An optional description of at most 2,000 characters (empty: none). */
export function validDescription(value: string | null | undefined): string | null {
  const text = value?.trim() ?? '';
  if (text.length > 2000)
    throw new BadInputError(
      'description',
      'description must be at most 2000 characters',
      CATALOG_ERRORS.TOO_LONG,
    );
  return text === '' ? null : text;
}

/** An optional maximum grant length: an ISO 8601 duration without years or months' ambiguity checks. */
export function validMaxDuration(value: string | null | undefined): string | null {
  if (value == null || value === '') return null;
  const d = parseDuration(value);
  if (!d || !Object.values(d).some((v) => v > 0))
    throw new BadInputError(
      'maxDuration',
      `"${value}" is not a positive ISO 8601 duration (e.g. P90D)`,
      CATALOG_ERRORS.BAD_DURATION,
    );
  return value;
}

/** The entitlement of an application by id. */
export function entitlementOf(application: Application, entitlementId: string): Entitlement | null {
  return application.entitlements.find((e) => e.id === entitlementId) ?? null;
}

/** What the application provides to one partner; null when nothing. */
export function provisionFor(application: Application, partnerId: string): PartnerProvision | null {
  return application.partners?.find((p) => p.organizationId === partnerId) ?? null;
}
