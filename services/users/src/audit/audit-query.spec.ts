import { auditQuery, encodeAuditCursor } from './audit-query';

const fieldOf = (run: () => unknown) => {
  try {
    run();
  } catch (err) {
    return (err as { extensions?: { code?: string; field?: string } }).extensions;
  }
  throw new Error('no error');
};

describe('reading auditTrail arguments', () => {
  it('defaults to 50 records of the whole trail', () => {
    expect(auditQuery({})).toEqual({ limit: 50 });
  });

  it('takes exact filters, an exact action or a prefix, and a half-open time range', () => {
    expect(
      auditQuery({
        filter: { actor: 'admin-1', targetId: 'u-1', targetType: 'user', action: 'user.suspended' },
        first: 2,
      }),
    ).toEqual({
      actor: 'admin-1',
      targetId: 'u-1',
      targetType: 'user',
      action: { exact: 'user.suspended' },
      limit: 2,
    });
    expect(auditQuery({ filter: { action: 'access-request.' } }).action).toEqual({
      prefix: 'access-request.',
    });
    expect(auditQuery({ filter: { from: '2026-01-01', to: '2026-01-02T08:00:00+02:00' } })).toMatchObject({
      from: new Date('2026-01-01T00:00:00Z'),
      to: new Date('2026-01-02T06:00:00Z'),
    });
  });

  it('reads back its own cursor', () => {
    const time = new Date('2026-01-01T10:00:00.123Z');
    expect(auditQuery({ after: encodeAuditCursor({ time, _id: 'e-1' }) }).after).toEqual({ time, id: 'e-1' });
  });

  it.each([
    [{ first: 0 }, 'first'],
    [{ first: 201 }, 'first'],
    [{ filter: { from: 'yesterday' } }, 'filter.from'],
    [{ filter: { to: '2026-01-01T10:00:00' } }, 'filter.to'],
    [{ filter: { from: '2026-01-02', to: '2026-01-01' } }, 'filter.to'],
    [{ filter: { from: '2026-01-01', to: '2026-01-01' } }, 'filter.to'],
    [{ filter: { action: 'user' } }, 'filter.action'],
    [{ filter: { action: 'User.Created' } }, 'filter.action'],
    [{ filter: { action: 'user.*' } }, 'filter.action'],
    [{ filter: { targetType: 'user.' } }, 'filter.targetType'],
    [{ filter: { actor: '' } }, 'filter.actor'],
    [{ filter: { targetId: 'x'.repeat(201) } }, 'filter.targetId'],
    [{ after: 'not-a-cursor' }, 'after'],
    [{ after: Buffer.from('["never", 1]').toString('base64url') }, 'after'],
  ])('refuses %j with BAD_USER_INPUT on %s', (args, field) => {
    expect(fieldOf(() => auditQuery(args))).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });
});
