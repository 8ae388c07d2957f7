import { linkPath } from './links';

describe('notification links', () => {
  it('when a notification links an object, then its path names the kind and the id as one segment', () => {
    expect(linkPath({ kind: 'ACCESS_REQUEST', id: 'r-1' })).toBe('/access-requests/r-1');
    expect(linkPath({ kind: 'GRANT', id: 'g-1' })).toBe('/grants/g-1');
    expect(linkPath({ kind: 'DELEGATION', id: 'a/b?c' })).toBe('/delegations/a%2Fb%3Fc');
  });
});
