import {
  BUILT_IN_ROLES,
  isBuiltInRole,
  isCapability,
  type Capability,
  type Scope,
  type ScopedGrant,
  type ScopeKind,
} from '@concierge/kit';
import { badCapability, badDate, badPeriod, badRoleName, badScope, tooLong } from './admin-roles.errors';

/**
 * One user holding one admin role in one scope for a period. The role's capabilities are copied in
 * when it is assigned: what the assigner was checked against is what the holder gets, and a later
 * change elsewhere cannot widen it.
 */
export interface RoleAssignment {
  _id: string;
  version: number;
  userId: string;
  role: string;
  capabilities: Capability[];
  scope: Scope;
  validFrom: Date;
  /** Exclusive end; null: until revoked. */
  validTo: Date | null;
  reason: string | null;
  assignedBy: string;
  assignedAt: Date;
  revokedBy: string | null;
  revokedAt: Date | null;
  revokeReason: string | null;
}

/** A custom role: a named set of capabilities a global administrator defined. */
export interface CustomRole {
  _id: string;
  capabilities: Capability[];
  description: string | null;
  definedBy: string;
  definedAt: Date;
}

/** Whether the assignment gives its capabilities at `now`. */
export function isLive(a: RoleAssignment, now: Date): boolean {
  return !a.revokedAt && a.validFrom <= now && (a.validTo === null || now < a.validTo);
}

/** The grants a user's assignments give at `now`, and the next moment that answer changes (null: never). */
export function grantsAt(
  assignments: readonly RoleAssignment[],
  now: Date,
): { grants: ScopedGrant[]; changesAt: Date | null } {
  let changesAt: Date | null = null;
  const sooner = (d: Date) => {
    if (d > now && (changesAt === null || d < changesAt)) changesAt = d;
  };
  const grants: ScopedGrant[] = [];
  for (const a of assignments) {
    if (a.revokedAt) continue;
    sooner(a.validFrom);
    if (a.validTo) sooner(a.validTo);
    if (isLive(a, now)) grants.push({ capabilities: a.capabilities, scope: a.scope });
  }
  return { grants, changesAt };
}

const MAX_TEXT = 500;
const ROLE_NAME = /^[A-Z][A-Z0-9_]{1,63}$/;

export function optionalText(field: string, value: string | null | undefined): string | null {
  const text = value?.trim() ?? '';
  if (text.length > MAX_TEXT) throw tooLong(field, MAX_TEXT);
  return text === '' ? null : text;
}

function date(field: string, value: string): Date {
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(d.getTime())) throw badDate(field, value);
  return d;
}

/** The period asked for: from now when no start is given, open-ended when no end is. */
export function periodOf(
  input: { validFrom?: string | null; validTo?: string | null },
  now: Date,
): { from: Date; to: Date | null } {
  const from = input.validFrom ? date('validFrom', input.validFrom) : now;
  const to = input.validTo ? date('validTo', input.validTo) : null;
  if (to && (to <= from || to <= now)) throw badPeriod();
  return { from, to };
}

/** The scope as the graph sends it, checked for shape (whether its organisation exists is the caller's). */
export function scopeOf(input: { kind: ScopeKind; id?: string | null; subtree?: boolean | null }): Scope {
  const id = input.id?.trim() ?? '';
  if (input.kind === 'GLOBAL') {
    if (id !== '' || input.subtree) throw badScope('A global scope names no organisation or application');
    return { kind: 'GLOBAL' };
  }
  if (id === '') throw badScope(`A ${input.kind.toLowerCase()} scope needs an id`);
  if (input.kind === 'ORGANIZATION') return { kind: 'ORGANIZATION', id, subtree: input.subtree ?? false };
  if (input.subtree === false) throw badScope('A partner or application scope has no subtree option');
  return input.kind === 'PARTNER' ? { kind: 'PARTNER', id } : { kind: 'APPLICATION', id };
}

/** A custom role's name and capabilities, checked: upper-case, not a built-in name, known capabilities. */
export function customRoleOf(
  name: string,
  capabilities: readonly string[],
): { name: string; capabilities: Capability[] } {
  const trimmed = name.trim();
  if (!ROLE_NAME.test(trimmed) || isBuiltInRole(trimmed)) throw badRoleName(trimmed);
  const unknown = capabilities.filter((c) => !isCapability(c));
  if (unknown.length > 0) throw badCapability(unknown);
  const set = [...new Set(capabilities as Capability[])].sort();
  if (set.length === 0) throw badCapability([]);
  return { name: trimmed, capabilities: set };
}

/** The capabilities of a role: built-in ones from the kit, custom ones as defined. */
export function capabilitiesOf(role: string, custom: CustomRole | null): Capability[] | null {
  if (isBuiltInRole(role)) return [...BUILT_IN_ROLES[role]];
  return custom ? [...custom.capabilities] : null;
}
