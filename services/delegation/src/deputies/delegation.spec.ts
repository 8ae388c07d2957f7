import { DomainError } from '@concierge/kit';
import {
  expiryDue,
  isLive,
  optionalText,
  overlaps,
  periodOf,
  requiredText,
  scopeOf,
  statusOf,
  type Delegation,
} from './delegation';
import { DELEGATION_ERRORS } from './delegation.errors';

const NOW = new Date('2027-03-10T12:00:00Z');
const at = (iso: string) => new Date(iso);

/** The `extensions` of what `fn` throws (a domain error). */
function refusal(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err.extensions;
    throw err;
  }
  throw new Error('expected a refusal');
}

const base: Delegation = {
  _id: 'd1',
  version: 1,
  delegatorId: 'ada',
  delegatorName: 'Ada',
  deputyId: 'bob',
  scope: { kind: 'ALL', applicationIds: [] },
  validFrom: at('2027-03-01T00:00:00Z'),
  validTo: at('2027-03-20T00:00:00Z'),
  reason: 'holiday',
  allowFurtherDelegation: false,
  createdBy: 'ada',
  createdAt: at('2027-02-28T00:00:00Z'),
  endedBy: null,
  endedAt: null,
  endReason: null,
  expiredAt: null,
};

describe('status from the dates', () => {
  it('is SCHEDULED before validFrom, ACTIVE from it, EXPIRED from validTo on', () => {
    expect(statusOf(base, at('2027-02-28T23:59:59Z'))).toBe('SCHEDULED');
    expect(statusOf(base, at('2027-03-01T00:00:00Z'))).toBe('ACTIVE');
    expect(statusOf(base, at('2027-03-19T23:59:59.999Z'))).toBe('ACTIVE');
    expect(statusOf(base, at('2027-03-20T00:00:00Z'))).toBe('EXPIRED');
  });

  it('is ENDED once ended, whatever the dates say, and EXPIRED once the scheduler recorded it', () => {
    expect(statusOf({ ...base, endedAt: NOW }, at('2027-02-01T00:00:00Z'))).toBe('ENDED');
    expect(statusOf({ ...base, endedAt: NOW }, at('2027-04-01T00:00:00Z'))).toBe('ENDED');
    expect(statusOf({ ...base, expiredAt: NOW }, NOW)).toBe('EXPIRED');
  });

  it('counts SCHEDULED and ACTIVE as live, ENDED and EXPIRED not', () => {
    expect(isLive(base, at('2027-02-01T00:00:00Z'))).toBe(true);
    expect(isLive(base, NOW)).toBe(true);
    expect(isLive(base, at('2027-03-21T00:00:00Z'))).toBe(false);
    expect(isLive({ ...base, endedAt: NOW }, NOW)).toBe(false);
  });

  it('asks the scheduler to look at validTo until the delegation ended or expired', () => {
    expect(expiryDue(base)).toEqual(base.validTo);
    expect(expiryDue({ ...base, endedAt: NOW })).toBeNull();
    expect(expiryDue({ ...base, expiredAt: NOW })).toBeNull();
  });
});

describe('the requested period', () => {
  it('starts now when validFrom is left out', () => {
    expect(periodOf({ validTo: '2027-03-11T00:00:00Z' }, NOW)).toEqual({
      from: NOW,
      to: at('2027-03-11T00:00:00Z'),
    });
  });

  it('reads offsets and UTC date-times without one', () => {
    expect(periodOf({ validFrom: '2027-03-12T10:00:00+02:00', validTo: '2027-03-13T08:00' }, NOW)).toEqual({
      from: at('2027-03-12T08:00:00Z'),
      to: at('2027-03-13T08:00:00Z'),
    });
  });

  it('refuses an end before or at the start with DELEGATION.PERIOD on validTo', () => {
    const backwards = { validFrom: '2027-03-15T00:00:00Z', validTo: '2027-03-14T00:00:00Z' };
    expect(refusal(() => periodOf(backwards, NOW))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'validTo',
      reason: DELEGATION_ERRORS.PERIOD,
    });
    const empty = { validFrom: '2027-03-15T00:00:00Z', validTo: '2027-03-15T00:00:00Z' };
    expect(refusal(() => periodOf(empty, NOW))).toMatchObject({ reason: DELEGATION_ERRORS.PERIOD });
  });

  it('refuses a validTo that has passed, even after a past validFrom', () => {
    const over = { validFrom: '2027-03-01T00:00:00Z', validTo: '2027-03-10T11:59:59Z' };
    expect(refusal(() => periodOf(over, NOW))).toMatchObject({ reason: DELEGATION_ERRORS.PERIOD });
    expect(refusal(() => periodOf({ validTo: NOW.toISOString() }, NOW))).toMatchObject({
      reason: DELEGATION_ERRORS.PERIOD,
    });
  });

  it('keeps a validFrom in the past as given: the delegation is in force at once', () => {
    expect(
      periodOf({ validFrom: '2027-03-01T00:00:00Z', validTo: '2027-03-11T00:00:00Z' }, NOW).from,
    ).toEqual(at('2027-03-01T00:00:00Z'));
  });

  it('refuses dates that are not ISO 8601 or do not exist, naming the field', () => {
    expect(refusal(() => periodOf({ validTo: 'next friday' }, NOW))).toMatchObject({
      field: 'validTo',
      reason: DELEGATION_ERRORS.BAD_DATE,
    });
    expect(
      refusal(() => periodOf({ validFrom: '2027-02-30T00:00:00Z', validTo: '2027-04-01' }, NOW)),
    ).toMatchObject({ field: 'validFrom', reason: DELEGATION_ERRORS.BAD_DATE });
  });

  it('overlaps when the half-open periods share a moment, not when one ends as the other starts', () => {
    const p = (from: string, to: string) => ({ from: at(from), to: at(to) });
    expect(overlaps(p('2027-03-01', '2027-03-10'), p('2027-03-09', '2027-03-20'))).toBe(true);
    expect(overlaps(p('2027-03-01', '2027-03-31'), p('2027-03-09', '2027-03-10'))).toBe(true);
    expect(overlaps(p('2027-03-01', '2027-03-10'), p('2027-03-10', '2027-03-20'))).toBe(false);
    expect(overlaps(p('2027-03-10', '2027-03-20'), p('2027-03-01', '2027-03-05'))).toBe(false);
  });
});

describe('the requested scope', () => {
  it('takes ALL without applications, and APPLICATIONS with distinct trimmed ids', () => {
    expect(scopeOf({ kind: 'ALL' })).toEqual({ kind: 'ALL', applicationIds: [] });
    expect(scopeOf({ kind: 'ALL', applicationIds: [] })).toEqual({ kind: 'ALL', applicationIds: [] });
    expect(scopeOf({ kind: 'APPLICATIONS', applicationIds: ['crm', ' crm ', 'erp'] })).toEqual({
      kind: 'APPLICATIONS',
      applicationIds: ['crm', 'erp'],
    });
  });

  it('refuses APPLICATIONS without ids, ALL with ids, and blank ids with DELEGATION.SCOPE', () => {
    for (const input of [
      { kind: 'APPLICATIONS' as const },
      { kind: 'APPLICATIONS' as const, applicationIds: [] },
      { kind: 'ALL' as const, applicationIds: ['crm'] },
      { kind: 'APPLICATIONS' as const, applicationIds: ['crm', ' '] },
    ]) {
      expect(refusal(() => scopeOf(input))).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: 'scope.applicationIds',
        reason: DELEGATION_ERRORS.SCOPE,
      });
    }
  });

  it('refuses more than 100 applications with DELEGATION.TOO_LONG', () => {
    const ids = Array.from({ length: 101 }, (_, i) => `app-${i}`);
    expect(refusal(() => scopeOf({ kind: 'APPLICATIONS', applicationIds: ids }))).toMatchObject({
      reason: DELEGATION_ERRORS.TOO_LONG,
    });
  });
});

describe('free texts', () => {
  it('requires a reason that is not blank, trimmed, of at most 500 characters', () => {
    expect(requiredText('reason', '  holiday ')).toBe('holiday');
    expect(refusal(() => requiredText('reason', '   '))).toMatchObject({
      field: 'reason',
      reason: DELEGATION_ERRORS.NO_REASON,
    });
    expect(refusal(() => requiredText('reason', 'x'.repeat(501)))).toMatchObject({
      reason: DELEGATION_ERRORS.TOO_LONG,
    });
  });

  it('reads a blank optional text as none', () => {
    expect(optionalText('reason', '  ')).toBeNull();
    expect(optionalText('reason', undefined)).toBeNull();
    expect(optionalText('reason', ' back early ')).toBe('back early');
  });
});
