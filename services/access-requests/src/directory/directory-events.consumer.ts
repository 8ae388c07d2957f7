import type { EventEnvelope, HandlerMap } from '@concierge/kit';
import type { DirectoryRepository } from './directory.repository';
import type { DirectoryUser } from './directory.model';

type Status = DirectoryUser['status'];
interface Placement {
  organizationId: string;
  managerId: string | null;
  employeeType: DirectoryUser['employeeType'];
}

/**
 * Keeps the directory projection from the users service's events: users (name, status, place),
 * organisations (the tree), global roles (audit records of role grants) and admin role
 * assignments over organisations (the delegation service's admin-role events). Each handler sets the
 * fields its event carries, so a repeat changes nothing; one user's events arrive in order.
 */
export function directoryHandlers(directory: DirectoryRepository): HandlerMap {
  const at = (event: EventEnvelope) => new Date(event.time);
  const status = (event: EventEnvelope) => {
    const data = event.data as { userId: string; status: Status };
    return directory.upsertUser(data.userId, { status: data.status, updatedAt: at(event) });
  };
  return {
    'user.created': async (event) => {
      const d = event.data as { userId: string; displayName: string; status: Status } & Partial<Placement>;
      await directory.upsertUser(d.userId, {
        displayName: d.displayName,
        status: d.status,
        organizationId: d.organizationId ?? '',
        managerId: d.managerId ?? null,
        employeeType: d.employeeType ?? 'EMPLOYEE',
        updatedAt: at(event),
      });
    },
    'user.updated': async (event) => {
      const d = event.data as { userId: string; changes: Record<string, { after: unknown }> };
      const name = d.changes.displayName?.after;
      if (typeof name === 'string')
        await directory.upsertUser(d.userId, { displayName: name, updatedAt: at(event) });
    },
    'user.moved': async (event) => {
      const d = event.data as { userId: string; after: Placement };
      await directory.upsertUser(d.userId, { ...d.after, updatedAt: at(event) });
    },
    'user.activated': status,
    'user.suspended': status,
    'user.terminated': status,
    'user.rehired': status,
    'organization.created': async (event) => {
      const d = event.data as {
        organizationId: string;
        name: string;
        parentId: string | null;
        kind: 'BUSINESS_UNIT' | 'PARTNER';
      };
      await directory.upsertOrganization(d.organizationId, {
        name: d.name,
        parentId: d.parentId,
        kind: d.kind,
      });
    },
    'organization.moved': async (event) => {
      const d = event.data as { organizationId: string; parentId: string | null };
      await directory.upsertOrganization(d.organizationId, { parentId: d.parentId });
    },
    'admin-role.assigned': async (event) => {
      const d = event.data as {
        assignmentId: string;
        userId: string;
        capabilities: string[];
        scope: { kind: string; id?: string; subtree?: boolean };
        validFrom: string;
        validTo: string | null;
      };
      const organizational = d.scope.kind === 'ORGANIZATION' || d.scope.kind === 'PARTNER';
      await directory.upsertAdminRole(d.assignmentId, {
        userId: d.userId,
        scopeOrganizationId: organizational ? (d.scope.id ?? null) : null,
        subtree: d.scope.kind === 'PARTNER' || d.scope.subtree === true,
        capabilities: d.capabilities,
        validFrom: new Date(d.validFrom),
        validTo: d.validTo ? new Date(d.validTo) : null,
      });
    },
    'admin-role.revoked': async (event) => {
      const d = event.data as { assignmentId: string; userId: string };
      await directory.upsertAdminRole(d.assignmentId, { userId: d.userId, revoked: true });
    },
    'audit.recorded': async (event) => {
      const d = event.data as { action: string; targetId: string; after: { globalRoles?: unknown } | null };
      if (d.action !== 'user.role-granted' && d.action !== 'user.role-revoked') return;
      const roles = d.after?.globalRoles;
      if (Array.isArray(roles))
        await directory.setRoles(
          d.targetId,
          roles.filter((r): r is string => typeof r === 'string'),
        );
    },
  };
}
