import { policy } from '@concierge/kit';
import type { AuditRecord as Stored } from '../data/audit.repository';
import { auditQuery, listAuditTrail, type AuditFilterInput } from '../audit/audit-query';
import type { UsersContext } from '../context';

export const auditQueries = {
  auditTrail: async (
    _: unknown,
    args: { filter?: AuditFilterInput | null; first?: number | null; after?: string | null },
    ctx: UsersContext,
  ) => {
    policy.require(ctx.principal, 'audit:read');
    return listAuditTrail(auditQuery(args), ctx.audit);
  },
};

export const AuditRecord = {
  id: (record: Stored) => record._id,
  time: (record: Stored) => record.time.toISOString(),
  recordedAt: (record: Stored) => record.recordedAt.toISOString(),
};
