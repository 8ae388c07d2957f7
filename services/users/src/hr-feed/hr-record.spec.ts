import { EventContractError } from '@concierge/kit';
import { mapRecord } from '../import/map-record';
import { DEFAULT_SOURCE, externalKeyOf, normalizeProfile } from '../directory/profile';
import {
  checkSubject,
  HrRecordRejectedError,
  personKey,
  toImportRecord,
  type HrPersonRecord,
} from './hr-record';

const joiner = (over: Partial<HrPersonRecord> = {}): HrPersonRecord => ({
  externalId: 'HR-1001',
  email: 'new.joiner@example.org',
  givenName: 'New',
  familyName: 'Joiner',
  title: null,
  department: 'Finance',
  employeeType: 'EMPLOYEE',
  organization: 'fin',
  managerExternalId: null,
  startDate: '2027-01-04T08:00:00Z',
  endDate: null,
  ...over,
});

/** The profile the upsert would derive from the record, as it does it. */
const profileOf = (record: HrPersonRecord) =>
  normalizeProfile(mapRecord(toImportRecord(record), DEFAULT_SOURCE).input);

describe('HR records as import rows', () => {
  it('when a field is null, then the row clears it, except a null manager, which removes the manager', () => {
    const mapped = mapRecord(toImportRecord(joiner({ title: null, endDate: null })), DEFAULT_SOURCE);
    expect(mapped.input).toMatchObject({ title: '', endDate: '' });
    expect(mapped.managerExternalId).toBeNull();
    expect(profileOf(joiner()).title).toBeNull();
  });

  it('when the record has no displayName, then the display name is the given and family name', () => {
    expect(profileOf(joiner()).displayName).toBe('New Joiner');
    expect(profileOf(joiner({ displayName: 'Newbie' })).displayName).toBe('Newbie');
  });

  it('keeps attributes and a named manager as they are', () => {
    const mapped = mapRecord(
      toImportRecord(joiner({ managerExternalId: 'HR-7', attributes: { costCenter: 'CC-1', fte: 0.8 } })),
      DEFAULT_SOURCE,
    );
    expect(mapped.managerExternalId).toBe('HR-7');
    expect(mapped.input.attributes).toEqual({ costCenter: 'CC-1', fte: 0.8 });
    expect(mapped.organizationCode).toBe('FIN');
  });

  it.each([undefined, 'Workday', ' hr.main '])(
    'finds the person under the key the upsert stores them with (source %p)',
    (source) => {
      const record = joiner(source === undefined ? {} : { source });
      expect(personKey(record)).toBe(externalKeyOf(profileOf(record)));
    },
  );
});

describe('HR record rejections', () => {
  it('when the subject is not the external id, then the record is rejected without retry', () => {
    expect(() => checkSubject('HR-1001', joiner())).not.toThrow();
    let error: unknown;
    try {
      checkSubject('HR-9', joiner());
    } catch (err) {
      error = err;
    }
    // The consumer never retries an EventContractError: it goes to the dead-letter topic at once.
    expect(error).toBeInstanceOf(EventContractError);
    expect(error).toBeInstanceOf(HrRecordRejectedError);
    expect(String(error)).toBe(
      "HrRecordRejected: subject HR-9 is not the record's externalId HR-1001 (field externalId)",
    );
  });
});
