import { batchDigest, rowErrors, tally, toImportRecord } from './import-job-records';
import { mapRecord } from './map-record';
import type { RowOutcome } from './user-upsert';

describe('import-job records', () => {
  it('when fields are absent, then the import record leaves them out, so the upsert keeps them', () => {
    expect(toImportRecord({ externalId: 'E1', email: 'a@example.org' })).toEqual({
      externalId: 'E1',
      email: 'a@example.org',
    });
  });

  it('when optional fields are null, then they become empty text, which the upsert clears', () => {
    const record = toImportRecord({ externalId: 'E1', email: 'a@example.org', title: null, endDate: null });
    expect(record).toEqual({ externalId: 'E1', email: 'a@example.org', title: '', endDate: '' });
    expect(mapRecord(record, 'default').input).toMatchObject({ title: '', endDate: '' });
  });

  it('when managerExternalId is null, then the manager is removed; when absent, it is kept', () => {
    expect(
      mapRecord(toImportRecord({ externalId: 'E1', managerExternalId: null, email: 'a@x.org' }), 'd'),
    ).toMatchObject({ managerExternalId: null });
    expect(mapRecord(toImportRecord({ externalId: 'E1', email: 'a@x.org' }), 'd')).toMatchObject({
      managerExternalId: undefined,
    });
  });

  it('when a required or non-clearable field is null, then it is left out (a missing email rejects the row)', () => {
    const record = toImportRecord({ externalId: 'E1', email: null, employeeType: null, organization: null });
    expect(record).toEqual({ externalId: 'E1' });
    expect(() => mapRecord(record, 'default')).toThrow('email is required');
  });

  it('when attributes come as name/value pairs, then they become a map; null removes them all', () => {
    expect(
      toImportRecord({
        attributes: [
          { name: 'costCenter', value: 'CC-1' },
          { name: 'fte', value: null },
          { name: 'costCenter', value: 'CC-2' },
        ],
      }),
    ).toEqual({ attributes: { costCenter: 'CC-2', fte: null } });
    expect(toImportRecord({ attributes: null })).toEqual({ attributes: {} });
  });

  it('when the same records are digested twice, then the digests agree; other records differ', () => {
    const records = [{ externalId: 'E1', email: 'a@example.org' }];
    expect(batchDigest(records)).toBe(batchDigest([{ externalId: 'E1', email: 'a@example.org' }]));
    expect(batchDigest(records)).not.toBe(batchDigest([{ externalId: 'E1', email: 'b@example.org' }]));
  });

  it('when outcomes are tallied and rejected rows listed, then rows are numbered by sequence and index', () => {
    const outcomes: RowOutcome[] = [
      { line: 0, outcome: 'created', userId: 'u0' },
      { line: 1, outcome: 'rejected', reason: 'email is required', field: 'email' },
      { line: 2, outcome: 'unchanged', userId: 'u2' },
      { line: 3, outcome: 'rejected', reason: 'broken' },
    ];
    expect(tally(outcomes)).toEqual({ received: 4, created: 1, updated: 0, unchanged: 1, rejected: 2 });
    const records = [{ externalId: 'E0' }, { externalId: ' E1 ' }, { externalId: 'E2' }, {}];
    expect(rowErrors('job', 5, records, outcomes)).toEqual([
      {
        _id: 'job:5:1',
        jobId: 'job',
        sequence: 5,
        index: 1,
        externalId: 'E1',
        field: 'email',
        reason: 'email is required',
      },
      {
        _id: 'job:5:3',
        jobId: 'job',
        sequence: 5,
        index: 3,
        externalId: null,
        field: null,
        reason: 'broken',
      },
    ]);
  });
});
