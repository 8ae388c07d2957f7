/**
 * Wording shared by the notifications of access requests, approvals, grants and delegations.
 * Names come from the events themselves (their contracts carry them for this), so a text never
 * needs a lookup in another service.
 */

/** What every access-request and approval event says about its request (schema/events/README.md). */
export interface RequestFacts {
  requestId: string;
  kind: 'ACCESS' | 'EXTENSION' | 'REMOVAL';
  beneficiaryId: string;
  beneficiaryName: string;
  requesterId: string;
  applicationId: string;
  applicationName: string;
  entitlementId: string;
  entitlementName: string;
}

/** "Payroll admin in SAP": the entitlement and the application it belongs to. */
export function entitlementIn(facts: { entitlementName: string; applicationName: string }): string {
  return `${facts.entitlementName} in ${facts.applicationName}`;
}

/**
 * The request as `viewerId` reads about it: "your request for access to …" for someone who asked
 * for themselves, "the request for Grace Hopper's access to …" for an approver, and so on.
 */
export function describeRequest(facts: RequestFacts, viewerId: string): string {
  const asked = viewerId === facts.requesterId;
  const mine = viewerId === facts.beneficiaryId;
  const owner = asked ? 'your request' : 'the request';
  const whose = mine ? 'your' : `${facts.beneficiaryName}'s`;
  const what = entitlementIn(facts);
  if (facts.kind === 'EXTENSION') return `${owner} to extend ${whose} access to ${what}`;
  if (facts.kind === 'REMOVAL') return `${owner} to remove ${whose} access to ${what}`;
  return asked && mine ? `${owner} for access to ${what}` : `${owner} for ${whose} access to ${what}`;
}

/** A title naming the request for approvers: "Payroll admin in SAP for Grace Hopper". */
export function requestHeadline(facts: RequestFacts): string {
  const what = `${entitlementIn(facts)} for ${facts.beneficiaryName}`;
  if (facts.kind === 'EXTENSION') return `extending ${what}`;
  return facts.kind === 'REMOVAL' ? `removing ${what}` : what;
}

/** The text with its first letter in upper case. */
export function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** An instant for people, in UTC since a notification does not know its reader's zone: "2027-01-07 08:00 UTC". */
export function formatInstant(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

function unit(count: number, name: string): string {
  return `${count} ${name}${count === 1 ? '' : 's'}`;
}

/** A wait in words, to the two largest units: "3 days 4 hours", "45 minutes". */
export function describeWait(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  if (days > 0)
    return hours % 24 > 0 ? `${unit(days, 'day')} ${unit(hours % 24, 'hour')}` : unit(days, 'day');
  if (hours > 0)
    return minutes % 60 > 0 ? `${unit(hours, 'hour')} ${unit(minutes % 60, 'minute')}` : unit(hours, 'hour');
  return minutes > 0 ? unit(minutes, 'minute') : 'less than a minute';
}

/** "A", "A and B", "A, B and C". */
export function listing(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1] ?? ''}`;
}

/**
 * Whom a deputy acts for: "on behalf of Ada Lovelace, who made you their deputy". An approver
 * whose name this service has not learnt yet (its delegation.created not consumed) is "an approver".
 */
export function onBehalfOf(names: readonly (string | null)[]): string {
  const known = names.filter((n): n is string => n !== null);
  const unknown = names.length - known.length;
  const parts = [...known];
  if (unknown > 0) {
    const other = known.length > 0 ? 'another approver' : 'an approver';
    parts.push(unknown === 1 ? other : `${unknown} ${known.length > 0 ? 'other approvers' : 'approvers'}`);
  }
  return `on behalf of ${listing(parts)}, who made you their deputy`;
}
