import { createEvent, createLogger, EventContractError, EventContracts } from '@concierge/kit';
import type { CredentialEffects } from '../directory/credential-effects';
import type { OrganizationRepository } from '../organizations/organization.repository';
import type { UserRepository } from '../directory/user.repository';
import { hrFeedHandlers, settle } from './hr-feed.consumer';
import { HrRecordRejectedError } from './hr-record';

const logger = createLogger('test', 'silent');
const unreachable = async () => {
  throw new Error('connect ECONNREFUSED 127.0.0.1:27017');
};

/** The handlers over stores whose database does not answer. */
function handlersWithoutDatabase() {
  return hrFeedHandlers({
    users: { findByExternalKeys: unreachable, findById: unreachable } as unknown as UserRepository,
    orgs: { all: unreachable } as unknown as OrganizationRepository,
    contracts: new EventContracts(),
    credentialEffects: {} as CredentialEffects,
  });
}

const person = {
  externalId: 'HR-1',
  email: 'hr-1@example.org',
  givenName: 'A',
  familyName: 'B',
  title: null,
  department: null,
  employeeType: 'EMPLOYEE',
  organization: 'HQ',
  managerExternalId: null,
  startDate: '2020-01-01',
  endDate: null,
};
const records: Record<string, Record<string, unknown>> = {
  'hr.joiner': person,
  'hr.mover': person,
  'hr.leaver': { externalId: 'HR-1', endDate: '2027-06-30T17:00:00Z' },
};

describe('HR feed consumer', () => {
  it.each(Object.keys(records))(
    'when the database does not answer, then %s fails with an error the consumer retries',
    async (type) => {
      const handler = handlersWithoutDatabase()[type];
      const event = createEvent('/hr/test', {
        type,
        subject: 'HR-1',
        data: records[type] as Record<string, unknown>,
        actor: 'system:hr',
        correlationId: 'c-1',
      });
      const failure = await handler!(event, { logger }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(String(failure)).toMatch(/ECONNREFUSED/);
      expect(failure).not.toBeInstanceOf(EventContractError);
    },
  );

  it('when the upsert rejects a record, then it is dead-lettered with the reason; a lost race is retried', () => {
    expect(() =>
      settle({
        line: 1,
        outcome: 'rejected',
        reason: 'organisation X does not exist',
        field: 'organization',
      }),
    ).toThrow(HrRecordRejectedError);
    const lostRace = () =>
      settle({ line: 1, outcome: 'rejected', reason: 'the user changed', retryable: true });
    expect(lostRace).toThrow(/the user changed/);
    try {
      lostRace();
    } catch (err) {
      expect(err).not.toBeInstanceOf(EventContractError);
    }
    expect(settle({ line: 1, outcome: 'unchanged', userId: 'u-1' })).toEqual({
      line: 1,
      outcome: 'unchanged',
      userId: 'u-1',
    });
  });
});
