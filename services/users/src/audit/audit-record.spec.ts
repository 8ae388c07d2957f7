import { createEvent, EventContracts } from '@concierge/kit';
import { auditRecordOf, changeOf } from './audit-record';
import { auditedTypes } from './audit.consumer';

const recordedAt = new Date('2026-01-02T00:00:00Z');
const at = new Date('2026-01-01T10:00:00.123Z');
const event = (type: string, subject: string, data: Record<string, unknown>, onBehalfOf?: string) =>
  createEvent(
    '/concierge/users',
    { type, subject, data, actor: 'admin-1', correlationId: 'corr-1', ...(onBehalfOf ? { onBehalfOf } : {}) },
    at,
  );
const parse = (text: string | null) => (text === null ? null : (JSON.parse(text) as unknown));

describe('the audit record of an event', () => {
  it('records who, what, to which target, when, in which request and from where', () => {
    const e = event('user.created', 'u-1', { userId: 'u-1', email: 'ada@example.org', status: 'ACTIVE' });
    const record = auditRecordOf(e, recordedAt);
    expect(record).toMatchObject({
      _id: e.id,
      time: at,
      actor: 'admin-1',
      onBehalfOf: null,
      action: 'user.created',
      targetType: 'user',
      targetId: 'u-1',
      before: null,
      correlationId: 'corr-1',
      source: '/concierge/users',
      recordedAt,
    });
    expect(parse(record.after)).toEqual({ userId: 'u-1', email: 'ada@example.org', status: 'ACTIVE' });
  });

  it('takes on whose behalf from the envelope extension', () => {
    const e = event('organization.created', 'o-1', { organizationId: 'o-1' }, 'partner-admin-7');
    expect(auditRecordOf(e, recordedAt)).toMatchObject({
      onBehalfOf: 'partner-admin-7',
      targetType: 'organization',
    });
  });

  it('turns a changes map into the fields before and after', () => {
    expect(
      changeOf({
        userId: 'u-1',
        changes: {
          displayName: { before: 'Ada', after: 'Ada L.' },
          'attributes.badge': { before: null, after: 7 },
        },
      }),
    ).toEqual({
      before: { displayName: 'Ada', 'attributes.badge': null },
      after: { displayName: 'Ada L.', 'attributes.badge': 7 },
    });
  });

  it('takes before and after of a mover as they are', () => {
    const before = { organizationId: 'o-1', managerId: null, employeeType: 'EMPLOYEE' };
    const after = { organizationId: 'o-2', managerId: 'm-1', employeeType: 'EMPLOYEE' };
    expect(changeOf({ userId: 'u-1', before, after })).toEqual({ before, after });
  });

  it('turns previous fields into before (lifecycle and organisation moves)', () => {
    expect(
      changeOf({ userId: 'u-1', status: 'SUSPENDED', previousStatus: 'ACTIVE', trigger: 'ON_DEMAND' }),
    ).toEqual({
      before: { status: 'ACTIVE' },
      after: { userId: 'u-1', status: 'SUSPENDED', trigger: 'ON_DEMAND' },
    });
    expect(changeOf({ organizationId: 'o-1', parentId: 'p-2', previousParentId: null })).toEqual({
      before: { parentId: null },
      after: { organizationId: 'o-1', parentId: 'p-2' },
    });
  });

  it('redacts secrets in what it records', () => {
    const e = event('credential.set-password-issued', 'u-1', {
      userId: 'u-1',
      purpose: 'ACTIVATION',
      sealedToken: 'v1.aXY.Y2lwaGVy.dGFn',
    });
    const record = auditRecordOf(e, recordedAt);
    expect(record).toMatchObject({ targetType: 'credential', targetId: 'u-1' });
    expect(parse(record.after)).toEqual({ userId: 'u-1', purpose: 'ACTIVATION', sealedToken: '[REDACTED]' });
  });

  it('records an audit.recorded event under the action and target it names', () => {
    const e = event('audit.recorded', 'g-1', {
      action: 'grant.revoked',
      targetType: 'grant',
      targetId: 'g-1',
      before: { status: 'ACTIVE', apiToken: 'secret' },
      after: null,
      onBehalfOf: 'approver-9',
    });
    const record = auditRecordOf(e, recordedAt);
    expect(record).toMatchObject({
      action: 'grant.revoked',
      targetType: 'grant',
      targetId: 'g-1',
      onBehalfOf: 'approver-9',
      after: null,
    });
    expect(parse(record.before)).toEqual({ status: 'ACTIVE', apiToken: '[REDACTED]' });
    // The envelope extension wins over the data field.
    const both = event('audit.recorded', 'g-1', { ...e.data, onBehalfOf: 'data-side' }, 'envelope-side');
    expect(auditRecordOf(both, recordedAt).onBehalfOf).toBe('envelope-side');
  });
});

describe('which events the trail records', () => {
  it('every type of the catalogue, including audit.recorded, but neither dead letters nor HR feed inputs', () => {
    const contracts = new EventContracts();
    const types = auditedTypes(contracts);
    expect(types).toEqual(
      expect.arrayContaining(['user.created', 'user.suspended', 'organization.updated', 'audit.recorded']),
    );
    expect(types.filter((t) => t.startsWith('hr.'))).toEqual([]);
    expect(types.map((t) => contracts.topicFor(t))).not.toContain(contracts.deadLetterTopic);
  });
});
