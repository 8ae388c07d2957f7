import {
  describeRequest,
  describeWait,
  formatInstant,
  listing,
  onBehalfOf,
  requestHeadline,
  type RequestFacts,
} from './notification-text';

const facts: RequestFacts = {
  requestId: 'r1',
  kind: 'ACCESS',
  beneficiaryId: 'grace',
  beneficiaryName: 'Grace Hopper',
  requesterId: 'alan',
  applicationId: 'a1',
  applicationName: 'SAP',
  entitlementId: 'e1',
  entitlementName: 'Payroll admin',
};

describe('notification wording', () => {
  it('when each party reads about a request, then it is worded from where they stand', () => {
    expect(describeRequest(facts, 'ada')).toBe(
      "the request for Grace Hopper's access to Payroll admin in SAP",
    );
    expect(describeRequest(facts, 'alan')).toBe(
      "your request for Grace Hopper's access to Payroll admin in SAP",
    );
    expect(describeRequest(facts, 'grace')).toBe('the request for your access to Payroll admin in SAP');
    const own = { ...facts, requesterId: 'grace' };
    expect(describeRequest(own, 'grace')).toBe('your request for access to Payroll admin in SAP');
    expect(describeRequest({ ...own, kind: 'EXTENSION' }, 'grace')).toBe(
      'your request to extend your access to Payroll admin in SAP',
    );
    expect(describeRequest({ ...facts, kind: 'EXTENSION' }, 'ada')).toBe(
      "the request to extend Grace Hopper's access to Payroll admin in SAP",
    );
    expect(describeRequest({ ...facts, kind: 'REMOVAL' }, 'ada')).toBe(
      "the request to remove Grace Hopper's access to Payroll admin in SAP",
    );
    expect(requestHeadline({ ...facts, kind: 'REMOVAL' })).toBe(
      'removing Payroll admin in SAP for Grace Hopper',
    );
  });

  it('when a wait or an instant is shown, then it reads in words and UTC', () => {
    expect(describeWait(2 * 86_400 + 4 * 3_600 + 59)).toBe('2 days 4 hours');
    expect(describeWait(86_400)).toBe('1 day');
    expect(describeWait(3_600 + 60)).toBe('1 hour 1 minute');
    expect(describeWait(45 * 60)).toBe('45 minutes');
    expect(describeWait(10)).toBe('less than a minute');
    expect(formatInstant('2027-01-07T08:00:00.000Z')).toBe('2027-01-07 08:00 UTC');
    expect(formatInstant('2027-01-07T09:30:00+01:00')).toBe('2027-01-07 08:30 UTC');
  });

  it('when a deputy stands in for approvers, then the known ones are named and the others counted', () => {
    expect(listing(['A', 'B', 'C'])).toBe('A, B and C');
    expect(onBehalfOf(['Ada Lovelace'])).toBe('on behalf of Ada Lovelace, who made you their deputy');
    expect(onBehalfOf(['Ada Lovelace', null])).toBe(
      'on behalf of Ada Lovelace and another approver, who made you their deputy',
    );
    expect(onBehalfOf([null])).toBe('on behalf of an approver, who made you their deputy');
    expect(onBehalfOf([null, null])).toBe('on behalf of 2 approvers, who made you their deputy');
  });
});
