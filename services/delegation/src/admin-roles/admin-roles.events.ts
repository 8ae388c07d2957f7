import { createEvent, type EventEnvelope, type Scope } from '@concierge/kit';
import type { EventDeps } from '../deputies/delegation.events';
import type { CustomRole, RoleAssignment } from './role-assignment';

const SOURCE = '/concierge/delegation';

function scopeData(scope: Scope): Record<string, unknown> {
  return { ...scope };
}

function event(deps: EventDeps, type: string, subject: string, data: Record<string, unknown>): EventEnvelope {
  const e = createEvent(SOURCE, {
    type,
    subject,
    data,
    actor: deps.actor,
    correlationId: deps.correlationId,
  });
  deps.contracts.validate(e);
  return e;
}

/** admin-role.assigned: the whole assignment (the gateway forgets the holder's cached grants). */
export function roleAssigned(deps: EventDeps, a: Omit<RoleAssignment, 'version'>): EventEnvelope {
  return event(deps, 'admin-role.assigned', a._id, {
    assignmentId: a._id,
    userId: a.userId,
    role: a.role,
    capabilities: a.capabilities,
    scope: scopeData(a.scope),
    validFrom: a.validFrom.toISOString(),
    validTo: a.validTo?.toISOString() ?? null,
    assignedBy: a.assignedBy,
    reason: a.reason,
  });
}

/** admin-role.revoked: who revoked it and why. */
export function roleRevoked(deps: EventDeps, a: RoleAssignment): EventEnvelope {
  return event(deps, 'admin-role.revoked', a._id, {
    assignmentId: a._id,
    userId: a.userId,
    role: a.role,
    scope: scopeData(a.scope),
    revokedBy: a.revokedBy ?? deps.actor,
    reason: a.revokeReason,
  });
}

/** admin-role.defined: a custom role's capabilities. */
export function roleDefined(deps: EventDeps, r: CustomRole): EventEnvelope {
  return event(deps, 'admin-role.defined', r._id, {
    role: r._id,
    capabilities: r.capabilities,
    description: r.description,
  });
}
