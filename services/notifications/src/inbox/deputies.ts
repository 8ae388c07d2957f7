import type { EventEnvelope } from '@concierge/kit';
import type { Delegation, DelegationRepository } from './delegation.repository';
import { onBehalfOf } from './notification-text';
import { dataOf } from './store-notifications';

/** A deputy as the approval events name them: who, for which approver, under which delegation. */
export interface DeputyEntry {
  userId: string;
  forUserId: string;
  delegationId: string;
}

/** A deputy of one event: the approvers they stand in for, and the words that name them. */
export interface DeputyRole {
  forUserIds: string[];
  /** "on behalf of Ada Lovelace, who made you their deputy". */
  onBehalf: string;
}

/**
 * The delegations the deputies of these events act under, by id, as far as this service knows
 * them (from delegation.created): one lookup by id per distinct delegation of the chunk.
 */
export async function knownDelegations(
  events: readonly EventEnvelope[],
  delegations: DelegationRepository,
): Promise<Map<string, Delegation>> {
  const ids = events.flatMap((event) =>
    dataOf<{ deputies: DeputyEntry[] }>(event).deputies.map((d) => d.delegationId),
  );
  return ids.length > 0 ? delegations.byIds(ids) : new Map();
}

/**
 * Each deputy of an event once, with the approvers they stand in for. An approver is named when
 * the delegation is known and was made by that approver (a deputy's own deputy acts under a
 * delegation made by the deputy, not by the approver, so that name would be the wrong one).
 */
export function deputyRoles(
  deputies: readonly DeputyEntry[],
  known: ReadonlyMap<string, Delegation>,
): Map<string, DeputyRole> {
  const byDeputy = new Map<string, DeputyEntry[]>();
  for (const entry of deputies) byDeputy.set(entry.userId, [...(byDeputy.get(entry.userId) ?? []), entry]);
  const roles = new Map<string, DeputyRole>();
  for (const [deputyId, entries] of byDeputy) {
    const forUserIds = [...new Set(entries.map((e) => e.forUserId))];
    const names = forUserIds.map((forUserId) => {
      const made = entries.map((e) => known.get(e.delegationId)).find((d) => d?.delegatorId === forUserId);
      return made?.delegatorName ?? null;
    });
    roles.set(deputyId, { forUserIds, onBehalf: onBehalfOf(names) });
  }
  return roles;
}
