import { foldText, lookupTerm, matchesWords, queryWords, searchTerms, sortKey } from './user-listing';

const person = {
  displayName: "D'Arcy Ünal-Smith",
  givenName: "D'Arcy",
  familyName: 'Ünal-Smith',
  email: 'darcy.unal@example.org',
  username: 'dunal',
};

describe('listing keys and search terms', () => {
  it('folds case, accents and punctuation, so names sort as people read them', () => {
    expect(foldText("D'Arcy  Ünal-Smith")).toBe('d arcy unal smith');
    const key = (displayName: string) =>
      sortKey('displayName', { displayName, email: '', createdAt: new Date() });
    expect(['Zoë', 'ada', 'Émile', 'Bob'].sort((a, b) => (key(a) < key(b) ? -1 : 1))).toEqual([
      'ada',
      'Bob',
      'Émile',
      'Zoë',
    ]);
  });

  it('stores whole words and word starts from three characters', () => {
    const terms = searchTerms(person);
    expect(terms).toEqual(
      expect.arrayContaining(['d', 'arcy', 'arc', 'unal', 'una', 'smith', 'dunal', 'example']),
    );
    expect(terms).not.toContain('ar');
    expect(terms).not.toContain('un');
  });

  it('matches a short word only whole and a longer one as the start of a word', () => {
    expect(matchesWords(person, queryWords('unal d'))).toBe(true);
    expect(matchesWords(person, queryWords('un'))).toBe(false);
    expect(matchesWords(person, queryWords('SMI darc'))).toBe(true);
    expect(matchesWords(person, queryWords('mith'))).toBe(false);
  });

  it('looks a search up by its longest word, cut to the longest stored start', () => {
    expect(lookupTerm(queryWords('li lovelace'))).toBe('lovelace');
    expect(lookupTerm(['abcdefghijklmnopqrstuvwxyz'])).toBe('abcdefghijklmnop');
    expect(searchTerms({ ...person, displayName: 'abcdefghijklmnopqrstuvwxyz' })).toContain(
      'abcdefghijklmnop',
    );
  });
});
