import { initialStatus, nextDue, nextStatus } from './user-lifecycle';

describe('user lifecycle', () => {
  it('activates a pending user and resumes a suspended one', () => {
    expect(nextStatus('PENDING', 'ACTIVATE')).toBe('ACTIVE');
    expect(nextStatus('SUSPENDED', 'ACTIVATE')).toBe('ACTIVE');
  });

  it('refuses to activate a terminated user with CONFLICT naming the current status', () => {
    expect(() => nextStatus('TERMINATED', 'ACTIVATE')).toThrow('Cannot activate a user who is TERMINATED');
    try {
      nextStatus('TERMINATED', 'ACTIVATE');
    } catch (err) {
      expect((err as { extensions: unknown }).extensions).toMatchObject({
        code: 'CONFLICT',
        reason: 'USER.CANNOT_ACTIVATE_TERMINATED',
      });
    }
  });

  it('suspends only active users and terminates anyone not yet terminated', () => {
    expect(() => nextStatus('PENDING', 'SUSPEND')).toThrow(/PENDING/);
    expect(nextStatus('PENDING', 'TERMINATE')).toBe('TERMINATED');
    expect(() => nextStatus('TERMINATED', 'TERMINATE')).toThrow(/TERMINATED/);
  });

  it('schedules activation at the start date and termination at the end date', () => {
    const startDate = new Date('2027-01-04T08:00:00Z');
    const endDate = new Date('2027-06-30T17:00:00Z');
    expect(nextDue('PENDING', { startDate, endDate })).toEqual({ at: startDate, action: 'ACTIVATE' });
    expect(nextDue('ACTIVE', { startDate, endDate })).toEqual({ at: endDate, action: 'TERMINATE' });
    expect(nextDue('TERMINATED', { startDate, endDate })).toBeNull();
    expect(nextDue('ACTIVE', {})).toBeNull();
  });

  it('starts users with a future start date as PENDING, others as ACTIVE', () => {
    const now = new Date('2027-01-01T00:00:00Z');
    expect(initialStatus({ startDate: new Date('2027-01-04T00:00:00Z') }, now)).toBe('PENDING');
    expect(initialStatus({ startDate: new Date('2026-12-01T00:00:00Z') }, now)).toBe('ACTIVE');
    expect(initialStatus({}, now)).toBe('ACTIVE');
  });
});
