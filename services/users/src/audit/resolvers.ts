import { policy } from '@concierge/kit';
import type { AuditRecord as Stored } from './audit.repository';
import { auditQuery, listAuditTrail, type AuditFilterInput } from './audit-query';
import type { ServiceContext } from '../shared/request';
import type { AuditRepository } from './audit.repository';

/** What the audit resolvers need of a request: the trail, read-only (its consumer writes it). */
export interface AuditContext extends ServiceContext {
  audit: AuditRepository;
}

export const auditQueries = {
  auditTrail: async (
    _: unknown,
    args: { filter?: AuditFilterInput | null; first?: number | null; after?: string | null },
    ctx: AuditContext,
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
